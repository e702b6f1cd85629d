using System.Text.Json;
using Microsoft.AspNetCore.Components.Server.Circuits;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Options;
using MudBlazor.Services;
using WebLab.Lab;
using WebLab.Lab.Access;
using WebLab.Lab.Catalog;
using WebLab.Lab.Jobs;
using WebLab.Lab.Jobs.Kinds;
using WebLab.Lab.Storage;
using WebLab.Lab.Workers;
using WebLab.Lab.Workers.Executors;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using WebLab.Web.Access;
using WebLab.Web.Api;
using WebLab.Web.Hubs;
using WebLab.Web.Study;

namespace WebLab.Web;

/// <summary>Builds the lab's ASP.NET Core host: stores, queue, workers, API, hub.</summary>
public static class LabHost
{
    public static WebApplication Build(string[] args)
    {
        // appsettings.json ships next to the binaries; the data folder is relative to the working directory.
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        builder.WebHost.UseStaticWebAssets(); // MudBlazor's _content also when run from build output in Production
        builder.Services.AddWebLab(builder.Configuration);
        var app = builder.Build();
        app.UseWebLab();
        return app;
    }

    public static IServiceCollection AddWebLab(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<LabOptions>().Bind(configuration.GetSection(LabOptions.Section));
        services.TryAddSingleton(TimeProvider.System); // tests put a manual clock here first
        var root = DataRoot(configuration);
        services.AddSingleton(sp => new DataFolder(root, sp.GetRequiredService<TimeProvider>()));
        // Session cookies and antiforgery tokens stay valid across restarts: their keys live with the lab's data.
        services.AddDataProtection().SetApplicationName("WebLab").PersistKeysToFileSystem(new DirectoryInfo(Path.Combine(Path.GetFullPath(root), "keys")));
        services.AddSingleton(sp =>
        {
            var folder = sp.GetRequiredService<DataFolder>();
            var db = new Database(folder.DatabasePath, sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<IOptions<LabOptions>>().Value.MaxDatabaseBytes);
            db.MigrateAsync().GetAwaiter().GetResult();
            return db;
        });
        services.AddSingleton<DataFolderLock>();
        services.AddSingleton(sp => new JobStore(sp.GetRequiredService<Database>()));
        services.AddSingleton<DatasetStore>();
        services.AddSingleton<CheckpointStore>();
        services.AddSingleton<LabReferences>();
        services.AddSingleton<LabReads>();
        services.AddSingleton<UserStore>();
        services.AddSingleton<Quotas>();
        services.AddSingleton<PersonLimits>();
        services.AddSingleton<LabCommands>();
        services.AddSingleton<LabDemos>();
        services.AddSingleton<Study.StudyResults>();
        services.AddSingleton<LabEvents>();
        services.AddSingleton<AttemptTokens>();
        services.AddSingleton<RemoteWorkers>();
        AddTrainExecutor(services, configuration);
        services.AddSingleton<JobRunner>();
        services.AddHostedService(sp => sp.GetRequiredService<DataFolderLock>());
        services.AddHostedService(sp => sp.GetRequiredService<JobRunner>());
        services.AddHostedService<LabBootstrap>();
        services.AddSingleton(sp => new Cleanup(sp.GetRequiredService<Database>(), sp.GetRequiredService<DataFolder>()));
        services.AddHostedService<LabMaintenance>();
        services.AddHostedService<HubRelay>();
        services.AddSingleton<LiveConnections>();
        services.AddSingleton<HubSessions>();
        services.AddHostedService(sp => sp.GetRequiredService<HubSessions>());
        services.AddHostedService<FirstAdmin>();
        services.AddLabAuthentication();
        services.AddLabLimits();
        services.AddScoped<CircuitHandler, CircuitLimiter>();
        services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(30));

        services.AddRazorComponents().AddInteractiveServerComponents();
        services.AddMudServices();
        services.AddScoped<Components.CurrentUser>();
        services.AddProblemDetails();
        services.AddExceptionHandler<Problems>();
        services.AddOpenApi();
        services.Configure<JsonOptions>(o => CopyJson(o.SerializerOptions));
        services.AddSignalR().AddJsonProtocol(o => CopyJson(o.PayloadSerializerOptions));
        services.Configure<FormOptions>(o =>
        {
            o.MultipartBodyLengthLimit = long.MaxValue; // limits are enforced while streaming, with a clear message
            o.ValueLengthLimit = 1 << 20;
        });
        return services;
    }

    public static WebApplication UseWebLab(this WebApplication app)
    {
        var options = app.Services.GetRequiredService<IOptions<LabOptions>>().Value;
        // Behind a reverse proxy on this machine (README: TLS): the browser's scheme and address, not the proxy's, so the
        // Origin check, per-address limits and Secure cookies see the real request.
        app.UseForwardedHeaders(new ForwardedHeadersOptions { ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto });
        app.UseSecurityHeaders();
        app.UseExceptionHandler();
        app.UseStatusCodePages(context => context.HttpContext.Request.Path.StartsWithSegments("/api")
            ? Results.Problem(statusCode: context.HttpContext.Response.StatusCode).ExecuteAsync(context.HttpContext)
            : Task.CompletedTask);
        var ownFiles = Path.Combine(AppContext.BaseDirectory, "weblab-wwwroot");
        if (Directory.Exists(ownFiles))
            app.UseStaticFiles(new StaticFileOptions { FileProvider = new PhysicalFileProvider(ownFiles) });
        app.UseRouting();
        app.UseBodyLimits(options);
        app.UseAuthentication();
        if (options.Access == AccessMode.OpenDemo)
            app.UseOpenDemoVisitors();
        app.UseCrossSiteGuard();
        app.UseRateLimiter();
        app.UseAuthorization();
        app.UseAntiforgery();
        app.MapStaticAssets().AllowAnonymous();
        app.MapOpenApi().AllowAnonymous();
        app.MapLabApi();
        WorkerApi.Map(app);
        app.MapAccount();
        app.MapStudyPlots();
        app.MapHub<JobsHub>(JobsHub.Path);
        app.MapRazorComponents<Components.App>().AddInteractiveServerRenderMode();
        return app;
    }

    /// <summary>
    /// Where training attempts run when not in local processes (<see cref="LabOptions.Executor"/>): the runner takes the
    /// executor registered here, and runs locally when none is.
    /// </summary>
    private static void AddTrainExecutor(IServiceCollection services, IConfiguration configuration)
    {
        var kind = configuration.GetSection(LabOptions.Section).Get<LabOptions>()?.Executor ?? ExecutorKind.Local;
        if (kind == ExecutorKind.Slurm)
        {
            services.AddSingleton<IWorkerExecutor>(sp =>
            {
                var options = sp.GetRequiredService<IOptions<LabOptions>>().Value;
                return new SlurmExecutor(options.Slurm, options.WorkerPath, sp.GetRequiredService<RemoteWorkers>(), WorkerUrl(sp),
                    sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<SlurmExecutor>>());
            });
        }
        else if (kind == ExecutorKind.Kubernetes)
        {
            services.AddSingleton<IWorkerExecutor>(sp =>
            {
                var options = sp.GetRequiredService<IOptions<LabOptions>>().Value.Kubernetes;
                return new KubernetesExecutor(options, sp.GetRequiredService<DataFolder>().Root, new k8s.Kubernetes(options.ClientConfiguration()),
                    sp.GetRequiredService<RemoteWorkers>(), WorkerUrl(sp), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<KubernetesExecutor>>());
            });
        }
    }

    /// <summary>The lab's address for workers: the WorkerUrl setting, else the first address Kestrel listens on.</summary>
    private static Func<string> WorkerUrl(IServiceProvider services) => () =>
    {
        if (services.GetRequiredService<IOptions<LabOptions>>().Value.WorkerUrl is { Length: > 0 } configured)
            return configured;
        var addresses = services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        var first = addresses.FirstOrDefault() ?? throw new InvalidOperationException("The lab listens on no address; set WebLab:WorkerUrl.");
        var uri = new UriBuilder(first.Replace("://+", "://localhost", StringComparison.Ordinal).Replace("://*", "://localhost", StringComparison.Ordinal));
        if (uri.Host is "localhost" or "0.0.0.0" or "[::]" or "::")
            uri.Host = System.Net.Dns.GetHostName(); // a node reaches the lab by the machine's name, not by its own loopback
        return uri.Uri.ToString().TrimEnd('/');
    };

    /// <summary>The data folder: WEBLAB_DATA, else the WebLab:DataDirectory setting (relative to the working directory).</summary>
    private static string DataRoot(IConfiguration configuration) =>
        Environment.GetEnvironmentVariable("WEBLAB_DATA") is { Length: > 0 } env ? env
        : configuration.GetSection(LabOptions.Section).Get<LabOptions>()?.DataDirectory ?? new LabOptions().DataDirectory;

    private static void CopyJson(JsonSerializerOptions target)
    {
        var source = WebLabJson.Compact;
        target.PropertyNamingPolicy = source.PropertyNamingPolicy;
        target.DefaultIgnoreCondition = source.DefaultIgnoreCondition;
        target.NumberHandling = source.NumberHandling;
        foreach (var converter in source.Converters)
            target.Converters.Add(converter);
    }
}

/// <summary>One lab per data folder: a second host on the same folder would fight over leases. Held for the host's life.</summary>
public sealed class DataFolderLock(DataFolder folder, ILogger<DataFolderLock> log) : IHostedService, IDisposable
{
    private FileStream? _lock;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            _lock = new FileStream(folder.LockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException e)
        {
            throw new InvalidOperationException($"Another WebLab lab is already using {folder.Root}; stop it or set WEBLAB_DATA to another folder.", e);
        }
        log.LogInformation("WebLab data folder: {Root}", folder.Root);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public void Dispose() => _lock?.Dispose();
}
