/** Why an attempt failed or the subscription ended. `status` is the hub's HTTP status when it answered. */
export class HeraldClientError extends Error {
  override readonly name = 'HeraldClientError';

  constructor(
    message: string,
    readonly status?: number,
    /** True when the subscription ends because of it (second refusal, 404, 400). */
    readonly fatal = false,
  ) {
    super(message);
  }
}
