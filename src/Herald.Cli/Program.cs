using System.CommandLine;
using System.CommandLine.Help;
using Herald.Cli;
using Herald.Cli.Commands;
using Herald.Cli.Hosting;

StartupTrace.Start();

// A plain Command, not RootCommand: RootCommand names itself after the executable, and the installed tool runs
// Herald.Cli.dll, so help and errors would say "Herald.Cli". The command is "herald".
var root = new Command(Cli.Name, "Herald: a Mercure-protocol real-time hub.")
{
    new HelpOption(),
    new VersionOption(),
    ServeCommand.Create(),
    TokenCommand.Create(),
    PublishCommand.Create(),
    SubscribeCommand.Create(),
    ProbeCommand.Create(),
    BenchCommand.Create(),
};

// "@file" is how keys are read from PEM files, not a System.CommandLine response file.
var parseResult = root.Parse(args.Length == 0 ? ["--help"] : args, new ParserConfiguration { ResponseFileTokenReplacer = null });
if (parseResult.Errors.Count > 0)
{
    // One line, no help dump: scripts and humans both see exactly what was wrong.
    return Cli.Fail($"{Cli.Describe(parseResult, root)} (see 'herald {(parseResult.CommandResult.Command == root ? "" : parseResult.CommandResult.Command.Name + " ")}--help')");
}

StartupTrace.Mark("parsed");
Terminal.Configure();

// The hosts' own lifetime handles SIGTERM/Ctrl-C and drains streams; System.CommandLine must not race it with a forced exit.
return await parseResult.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null });
