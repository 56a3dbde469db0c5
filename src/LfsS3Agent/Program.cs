using LfsS3Agent;
using LfsS3Agent.Commands;
using LfsS3Agent.Core.Settings;
using LfsS3Agent.Core.Storage;
using LfsS3Agent.Core.Transfer;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

const string MainHelp = """
    usage: git lfs-s3 <verb> [options]

    Keeps a git repository's LFS files in your own versioned S3 bucket, under their own paths.

    verbs:
      install     configure git-lfs to use git-lfs-s3 (once per machine)
      uninstall   undo install
      init        set this repository up: bucket, prefix, region, endpoint (once per repository)
      doctor      check git, git-lfs, the wiring, credentials, bucket, permissions, clock; say how to fix
      status      mapping entries pushed but not committed, and anything else out of sync
      sync        add this clone's uploads to the mapping file (completes an interrupted push)
      verify      check that every LFS object of HEAD (or given revisions, or --all) is stored
      rebuild     reconstruct the mapping from the bucket's versions and their metadata
      agent       the transfer agent that git-lfs runs (not for direct use)
      version     print the version

    `git lfs-s3 <verb> --help` describes each verb.
    """;

var verb = args.Length > 0 ? args[0] : "--help";
var rest = args.Skip(1).ToArray();
var variables = SettingsResolver.CurrentEnvironment();
var isAgent = verb == "agent";
if (isAgent)
{
    // Whatever else might print (a library, a stray Console.WriteLine) must not reach the protocol stream.
    Console.SetOut(Console.Error);
}

var level = AgentLoggerProvider.ParseLevel(variables.GetValueOrDefault(SettingNames.LogLevel.EnvVar))
            ?? (isAgent ? LogLevel.Information : LogLevel.Warning);
using var logs = new AgentLoggerProvider(Console.Error, level, variables.GetValueOrDefault(SettingNames.LogFile.EnvVar));

var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
builder.Logging.ClearProviders().AddProvider(logs).SetMinimumLevel(LogLevel.Trace);
builder.Services.AddSingleton(logs);
builder.Services.AddSingleton(new ProcessEnvironment(Environment.CurrentDirectory, variables));
builder.Services.AddSingleton<IObjectStoreFactory>(new StoreFactory(variables));
builder.Services.AddSingleton<TextWriter>(Console.Out);
builder.Services.AddSingleton<AgentCommand>();
builder.Services.AddSingleton<InstallCommand>();
builder.Services.AddSingleton<InitCommand>();
builder.Services.AddSingleton<DoctorCommand>();
builder.Services.AddSingleton<MappingCommands>();
using var host = builder.Build();

using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancel.Cancel();
};

try
{
    switch (verb)
    {
        case "agent":
            if (rest.Contains("--help") || rest.Contains("-h"))
            {
                Console.Error.WriteLine(AgentCommand.Help);
                return 0;
            }

            return await host.Services.GetRequiredService<AgentCommand>()
                .RunAsync(Console.OpenStandardInput(), Console.OpenStandardOutput(), cancel.Token);
        case "install":
            return await Run(rest, InstallCommand.InstallHelp, ["local"], o => host.Services.GetRequiredService<InstallCommand>().InstallAsync(o, cancel.Token));
        case "uninstall":
            return await Run(rest, InstallCommand.UninstallHelp, ["local"], o => host.Services.GetRequiredService<InstallCommand>().UninstallAsync(o, cancel.Token));
        case "init":
            return await Run(rest, InitCommand.Help, ["path-style", "no-check"],
                o => host.Services.GetRequiredService<InitCommand>().RunAsync(o, cancel.Token), "bucket", "store", "prefix", "region", "endpoint");
        case "doctor":
            return await Run(rest, DoctorCommand.Help, [], _ => host.Services.GetRequiredService<DoctorCommand>().RunAsync(cancel.Token));
        case "status":
            return await Run(rest, MappingCommands.StatusHelp, [], _ => host.Services.GetRequiredService<MappingCommands>().StatusAsync(cancel.Token));
        case "sync":
            return await Run(rest, MappingCommands.SyncHelp, [], _ => host.Services.GetRequiredService<MappingCommands>().SyncAsync(cancel.Token));
        case "rebuild":
            return await Run(rest, MappingCommands.RebuildHelp, ["write"], o => host.Services.GetRequiredService<MappingCommands>().RebuildAsync(o, cancel.Token));
        case "verify":
        {
            var revisions = rest.Where(a => !a.StartsWith('-')).ToList();
            return await Run([.. rest.Where(a => a.StartsWith('-'))], MappingCommands.VerifyHelp, ["all", "content"],
                o => host.Services.GetRequiredService<MappingCommands>().VerifyAsync(o, revisions, cancel.Token));
        }

        case "version" or "--version":
            Console.WriteLine($"git-lfs-s3 {typeof(AgentCommand).Assembly.GetName().Version?.ToString(3)}");
            return 0;
        case "help" or "--help" or "-h":
            Console.WriteLine(MainHelp);
            return 0;
        default:
            Console.Error.WriteLine($"error: unknown verb \"{verb}\"\n\n{MainHelp}");
            return 2;
    }
}
catch (UsageException ex)
{
    Console.Error.WriteLine($"error: {ex.Message} (see `git lfs-s3 {verb} --help`)");
    return 2;
}
catch (Exception ex) when (ex is CommandException or TransferException)
{
    Console.Error.WriteLine($"fatal: {ex.Message}");
    return 1;
}

static async Task<int> Run(string[] args, string help, string[] flags, Func<CommandLine, Task<int>> action, params string[] valueOptions)
{
    var options = new CommandLine(args, valueOptions.ToHashSet(), flags.ToHashSet());
    if (options.Help)
    {
        Console.WriteLine(help);
        return 0;
    }

    return await action(options);
}
