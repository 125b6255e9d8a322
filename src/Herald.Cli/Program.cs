using System.CommandLine;
using Herald.Cli;
using Herald.Cli.Commands;

var root = new RootCommand("Herald: a Mercure-protocol real-time hub.")
{
    ServeCommand.Create(),
    TokenCommand.Create(),
    PublishCommand.Create(),
    SubscribeCommand.Create(),
    ProbeCommand.Create(),
    BenchCommand.Create(),
};

// "@file" is how keys are read from PEM files, not a System.CommandLine response file.
var parseResult = root.Parse(args, new ParserConfiguration { ResponseFileTokenReplacer = null });
if (parseResult.Errors.Count > 0)
{
    // One line, no help dump: scripts and humans both see exactly what was wrong.
    return Cli.Fail($"{parseResult.Errors[0].Message} (see 'herald --help')");
}

// The hosts' own lifetime handles SIGTERM/Ctrl-C and drains streams; System.CommandLine must not race it with a forced exit.
return await parseResult.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null });
