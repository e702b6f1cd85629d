using WebLab.Lab.Catalog;
using WebLab.Lab.Storage;

namespace WebLab.Lab.Tests.Catalog;

public class FileStoreTests
{
    [Fact]
    public async Task DatasetAndCheckpointFiles_AreRecorded_AndForgottenWithTheirRecord()
    {
        await using var lab = await TempLab.CreateAsync();
        var folder = Path.Combine(lab.Folder, "datasets", "ds_x");
        Directory.CreateDirectory(folder);
        await File.WriteAllBytesAsync(Path.Combine(folder, "train-images-idx3-ubyte"), new byte[100]);
        await File.WriteAllBytesAsync(Path.Combine(folder, "train-labels-idx1-ubyte"), new byte[10]);
        var datasets = new DatasetStore(lab.Db);
        var dataset = new DatasetRecord
        {
            Id = Ids.New("ds", TimeProvider.System), Name = "digits", Owner = "alice", Source = "idx", State = DatasetStore.Ingesting, Path = folder, CreatedAt = "now",
        };
        await datasets.AddAsync(dataset);

        var checkpointPath = Path.Combine(lab.Folder, "model.weblab");
        await File.WriteAllBytesAsync(checkpointPath, new byte[42]);
        var checkpoint = new CheckpointRecord { Id = Ids.New("ckpt", TimeProvider.System), Name = "m", Owner = "alice", Path = checkpointPath, InfoJson = "{}", CreatedAt = "now" };
        await using (var connection = await lab.Db.OpenAsync())
            await CheckpointStore.AddAsync(connection, null, checkpoint, TimeProvider.System, CancellationToken.None);

        await using (var connection = await lab.Db.OpenAsync())
        {
            var files = await FileStore.ListAsync(connection, "dataset", dataset.Id);
            Assert.Equal([10L, 100L], files.Select(f => f.Bytes).Order());
            Assert.All(files, f => Assert.StartsWith(folder, f.Path, StringComparison.Ordinal));
            Assert.Equal(42, Assert.Single(await FileStore.ListAsync(connection, "checkpoint", checkpoint.Id)).Bytes);
        }

        Assert.True(await datasets.DeleteAsync(dataset.Id));
        Assert.True(await new CheckpointStore(lab.Db).DeleteAsync(checkpoint.Id));
        await using (var connection = await lab.Db.OpenAsync())
        {
            Assert.Empty(await FileStore.ListAsync(connection, "dataset", dataset.Id));
            Assert.Empty(await FileStore.ListAsync(connection, "checkpoint", checkpoint.Id));
        }
    }
}
