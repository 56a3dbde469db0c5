using Microsoft.Extensions.DependencyInjection;

namespace LfsS3Agent.Commands;

/// <summary>Every verb, in the order the main help lists them: the one list Program.cs composes and the tests check.</summary>
public static class VerbList
{
    public static IServiceCollection AddVerbs(this IServiceCollection services) => services
        .AddSingleton<Verb, InstallCommand>()
        .AddSingleton<Verb, UninstallCommand>()
        .AddSingleton<Verb, InitCommand>()
        .AddSingleton<Verb, DoctorCommand>()
        .AddSingleton<Verb, EnvCommand>()
        .AddSingleton<Verb, StatusCommand>()
        .AddSingleton<Verb, SyncCommand>()
        .AddSingleton<Verb, VerifyCommand>()
        .AddSingleton<Verb, RebuildCommand>()
        .AddSingleton<Verb, ImportCommand>()
        .AddSingleton<Verb, UrlCommand>()
        .AddSingleton<Verb, PublishCommand>()
        .AddSingleton<Verb, LogCommand>()
        .AddSingleton<Verb, UsageCommand>()
        .AddSingleton<Verb, PruneCommand>()
        .AddSingleton<Verb, LockCommand>()
        .AddSingleton<Verb, LocksCommand>()
        .AddSingleton<Verb, UnlockCommand>()
        .AddSingleton<Verb, TrustCommand>()
        .AddSingleton<Verb, AgentCommand>();
}
