using System.Text.Json;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Options;
using MudBlazor.Services;
using WebLab.Lab;
using WebLab.Lab.Catalog;
using WebLab.Lab.Jobs;
using WebLab.Lab.Jobs.Kinds;
using WebLab.Lab.Storage;
using WebLab.Web.Api;
using WebLab.Web.Hubs;

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
        services.AddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<LabOptions>>().Value;
            var root = Environment.GetEnvironmentVariable("WEBLAB_DATA") is { Length: > 0 } env ? env : options.DataDirectory;
            return new DataFolder(root);
        });
        services.AddSingleton(sp =>
        {
            var folder = sp.GetRequiredService<DataFolder>();
            var db = new Database(folder.DatabasePath, sp.GetRequiredService<IOptions<LabOptions>>().Value.MaxDatabaseBytes);
            db.MigrateAsync().GetAwaiter().GetResult();
            return db;
        });
        services.AddSingleton<DataFolderLock>();
        services.AddSingleton(sp => new JobStore(sp.GetRequiredService<Database>()));
        services.AddSingleton<DatasetStore>();
        services.AddSingleton<CheckpointStore>();
        services.AddSingleton<LabReferences>();
        services.AddSingleton<LabCommands>();
        services.AddSingleton<LabEvents>();
        services.AddSingleton<JobRunner>();
        services.AddSingleton<Predictions>();
        services.AddHostedService(sp => sp.GetRequiredService<DataFolderLock>());
        services.AddHostedService(sp => sp.GetRequiredService<JobRunner>());
        services.AddHostedService<LabBootstrap>();
        services.AddSingleton(sp => new Cleanup(sp.GetRequiredService<Database>(), sp.GetRequiredService<DataFolder>()));
        services.AddHostedService<LabMaintenance>();
        services.AddHostedService<HubRelay>();
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
        app.Use((context, next) =>
        {
            if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
                limit.MaxRequestBodySize = Math.Max(options.MaxUploadBytes, options.MaxCheckpointBytes) + (1 << 20);
            return next(context);
        });
        app.UseExceptionHandler();
        app.UseStatusCodePages(context => context.HttpContext.Request.Path.StartsWithSegments("/api")
            ? Results.Problem(statusCode: context.HttpContext.Response.StatusCode).ExecuteAsync(context.HttpContext)
            : Task.CompletedTask);
        var ownFiles = Path.Combine(AppContext.BaseDirectory, "weblab-wwwroot");
        if (Directory.Exists(ownFiles))
            app.UseStaticFiles(new StaticFileOptions { FileProvider = new PhysicalFileProvider(ownFiles) });
        app.UseAntiforgery();
        app.MapStaticAssets();
        app.MapOpenApi();
        app.MapLabApi();
        app.MapHub<JobsHub>(JobsHub.Path);
        app.MapRazorComponents<Components.App>().AddInteractiveServerRenderMode();
        return app;
    }

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
