using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace WebLab.Lab.Storage;

/// <summary>Runs <see cref="Cleanup"/> every <see cref="LabOptions.MaintenancePeriod"/>, the first time one period after start.</summary>
public sealed class LabMaintenance(Cleanup cleanup, IOptions<LabOptions> options, ILogger<LabMaintenance> log, TimeProvider? time = null)
    : BackgroundService
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var period = options.Value.MaintenancePeriod;
        if (period <= TimeSpan.Zero)
            return;
        try
        {
            while (true)
            {
                await Task.Delay(period, _time, stoppingToken);
                await RunOnceAsync(stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private async Task RunOnceAsync(CancellationToken stoppingToken)
    {
        try
        {
            var report = await cleanup.RunAsync(options.Value.OrphanAge, options.Value.TileCacheIdle, stoppingToken);
            log.LogInformation("cleanup removed {Temp} temporary entries, {Uploads} spent uploads, {TileBytes} bytes of idle decoded tiles and {Events} progress events of ended jobs",
                report.TempEntries, report.Uploads, report.TileBytes, report.Events);
        }
        catch (Exception e) when (e is SqliteException or IOException or UnauthorizedAccessException)
        {
            // A busy database or a file in use: the next period tries again.
            log.LogWarning(e, "cleanup failed; retrying next period");
        }
    }
}
