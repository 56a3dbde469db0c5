using LfsS3Agent;
using LfsS3Agent.Commands;
using LfsS3Agent.Core.Settings;
using LfsS3Agent.Core.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

var environment = ProcessEnvironment.Current();
var isAgent = args.FirstOrDefault() == "agent";
if (isAgent)
{
    // Whatever else might print (a library, a stray Console.WriteLine) must not reach the protocol stream.
    Console.SetOut(Console.Error);
}

// The log settings are personal (never committed), so the environment and git config give them before any request.
var early = await SettingsResolver.LoadPersonalAsync(environment, keepForAgent: isAgent);
if (early.LogLevel is { } levelText && AgentLoggerProvider.ParseLevel(levelText) is null)
{
    // A verb refuses to run; the agent says so on stderr and keeps the default, since a log setting must not stop a push.
    var problem = $"{SettingNames.LogLevel.GitKey} \"{levelText}\" ({early.Find(SettingNames.LogLevel)!.Source}) is not a log level: use {AgentLoggerProvider.LevelNames}";
    await Console.Error.WriteLineAsync(isAgent ? $"warning: {problem}; logging at information" : $"fatal: {problem}");
    if (!isAgent)
    {
        return 1;
    }
}

LfsS3Agent.Commands.Shared.TerminalProgress.Forced = environment.Get(LfsS3Agent.Commands.Shared.TerminalProgress.Variable);
var level = AgentLoggerProvider.ParseLevel(early.LogLevel) ?? (isAgent ? LogLevel.Information : LogLevel.Warning);
using var logs = new AgentLoggerProvider(Console.Error, level, early.LogFile);

using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancel.Cancel();
};

// The protocol streams: only the agent reads and writes them, whichever way it is composed.
var streams = new AgentStreams(Console.OpenStandardInput, Console.OpenStandardOutput);
if (isAgent)
{
    // git-lfs starts its 8-10 agents one after another and sends no transfer until the last has answered init, so an
    // agent's start is paid ten times per git command. Composing the host and all twenty verbs (a logger type built at
    // run time for each) was a third of that start; the agent needs none of them.
    using var loggers = new LoggerFactory([logs], new LoggerFilterOptions { MinLevel = LogLevel.Trace });
    var agent = new AgentCommand(new StoreFactory(loggers), environment, streams, logs, loggers.CreateLogger<AgentCommand>());
    return await new Application([agent], Console.Out, Console.Error).RunAsync(args, cancel.Token);
}

var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
builder.Logging.ClearProviders().AddProvider(logs).SetMinimumLevel(LogLevel.Trace);
builder.Services.AddSingleton(logs);
builder.Services.AddSingleton(environment);
builder.Services.AddSingleton<IObjectStoreFactory, StoreFactory>();
builder.Services.AddSingleton<TextWriter>(Console.Out);
builder.Services.AddSingleton(streams);
builder.Services.AddVerbs();
builder.Services.AddSingleton(sp => new Application(sp.GetServices<Verb>(), Console.Out, Console.Error));
using var host = builder.Build();

return await host.Services.GetRequiredService<Application>().RunAsync(args, cancel.Token);
