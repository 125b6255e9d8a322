using System.Diagnostics;
using System.Globalization;

namespace Herald.Cli.Bench;

/// <summary>CPU and RSS of a process: ours through the runtime, the server's from <c>/proc</c> (Linux).</summary>
internal sealed class ResourceSampler(int? pid)
{
    /// <summary>USER_HZ: the unit of /proc/PID/stat times; 100 on every mainstream Linux build.</summary>
    private const double ClockTicksPerSecond = 100;

    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private TimeSpan _lastWall;
    private TimeSpan _lastOwnCpu = Process.GetCurrentProcess().TotalProcessorTime;
    private double? _lastServerCpu = ServerCpuSeconds(pid);

    /// <summary>CPU used since the previous sample, in % of one core, for us and for the server (null without a pid).</summary>
    public (double Own, double? Server) SampleCpu()
    {
        var wall = _clock.Elapsed;
        var elapsed = (wall - _lastWall).TotalSeconds;
        _lastWall = wall;
        var own = Process.GetCurrentProcess().TotalProcessorTime;
        var ownPercent = elapsed <= 0 ? 0 : (own - _lastOwnCpu).TotalSeconds / elapsed * 100;
        _lastOwnCpu = own;
        double? serverPercent = null;
        if (ServerCpuSeconds(pid) is { } server && _lastServerCpu is { } last)
        {
            serverPercent = elapsed <= 0 ? 0 : (server - last) / elapsed * 100;
            _lastServerCpu = server;
        }

        return (ownPercent, serverPercent);
    }

    /// <summary>Resident set size in bytes, from /proc/PID/status (VmRSS).</summary>
    public long? ServerRss()
    {
        if (pid is null)
        {
            return null;
        }

        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                {
                    var kb = line["VmRSS:".Length..].Trim().Split(' ')[0];
                    return long.Parse(kb, CultureInfo.InvariantCulture) * 1024;
                }
            }
        }
        catch (IOException)
        {
            // The server exited: no more samples.
        }

        return null;
    }

    public static bool Exists(int pid) => File.Exists($"/proc/{pid}/stat");

    private static double? ServerCpuSeconds(int? pid)
    {
        if (pid is null)
        {
            return null;
        }

        try
        {
            // The command name (field 2) may contain spaces; fields after its closing parenthesis are fixed.
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            var utime = double.Parse(fields[11], CultureInfo.InvariantCulture);
            var stime = double.Parse(fields[12], CultureInfo.InvariantCulture);
            return (utime + stime) / ClockTicksPerSecond;
        }
        catch (IOException)
        {
            return null;
        }
    }
}
