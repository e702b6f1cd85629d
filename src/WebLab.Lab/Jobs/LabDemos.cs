using WebLab.Lab.Access;
using WebLab.Lab.Catalog;
using WebLab.Lab.Jobs.Kinds;
using WebLab.Training;

namespace WebLab.Lab.Jobs;

/// <summary>A built-in demo as the Home page and the API offer it.</summary>
/// <param name="Id">What POST /api/demo/{id} takes.</param>
/// <param name="Unavailable">Why it cannot run yet (its source is not in the lab), or null when it can.</param>
public sealed record DemoOffer(string Id, string Title, string Description, string? Unavailable);

/// <summary>
/// The lab's two demos, one place for the Home page, the API and the CLI's lab checks: the fast Fashion-MNIST one from the
/// pretrained demo source, and "ImageNet ResNet-18 on colour pictures" from the zoo source the lab installs on first start.
/// </summary>
public sealed class LabDemos(LabCommands commands, CheckpointStore checkpoints, JobStore jobs)
{
    /// <summary>The Fashion-MNIST demo (POST /api/demo).</summary>
    public const string FashionMnist = "fashion-mnist";

    /// <summary>The colour demo (POST /api/demo/colour).</summary>
    public const string Colour = "colour";

    /// <summary>Both demos, with why one cannot run yet.</summary>
    public async Task<IReadOnlyList<DemoOffer>> ListAsync(CancellationToken cancellationToken = default) =>
    [
        new(FashionMnist, Demo.Title,
            "A ResNet pretrained on Fashion-MNIST's classes 0-4 (T-shirt to Coat) learns classes 5-9 (Sandal, Shirt, Sneaker, Bag, Ankle boot) " +
            $"from only {Demo.PerClass} images per class, against the same ResNet trained from scratch, over 3 seeds. About half a minute on a laptop CPU.",
            await checkpoints.BuiltinAsync(cancellationToken) is null
                ? "The demo's source model is being pretrained (first start only); the button unlocks when it is ready."
                : null),
        new(Colour, Demo.Colour.Title,
            $"The lab's ImageNet ResNet-18 learns {EmojiClasses} kinds of colour emoji drawing (mammal, bird, marine animal, bug, flower, fruit, " +
            $"vegetable) from {Demo.Colour.PerClass} images per class, against the same ResNet-18 from scratch, over {Demo.Colour.Seeds} seeds, " +
            $"with the {Demo.Colour.Preset} preset at the input size the lab's rule gives (128 px on a CPU). A few minutes on a 2-core CPU.",
            await ColourUnavailableAsync(cancellationToken)),
    ];

    private static int EmojiClasses => Data.DatasetCatalog.BuiltIn.Find(Demo.Colour.Dataset)?.Classes ?? 7;

    /// <summary>Queues demo <paramref name="id"/> for <paramref name="caller"/>; a demo whose source is missing is a conflict with its reason.</summary>
    public async Task<Submitted> SubmitAsync(string id, Caller caller, CancellationToken cancellationToken = default)
    {
        ExperimentSpec spec;
        switch (id)
        {
            case FashionMnist:
                spec = Demo.Experiment(LabReferences.DemoSource);
                break;
            case Colour:
                var source = await checkpoints.BuiltinOfKindAsync(ZooInstallKind.Id, cancellationToken)
                    ?? throw new ConflictException(await ColourUnavailableAsync(cancellationToken) ?? "the ImageNet ResNet-18 source is missing.");
                spec = Demo.Colour.Experiment(source.Id);
                break;
            default:
                throw new NotFoundException($"There is no demo '{id}'. Demos: {FashionMnist}, {Colour}.");
        }
        return await commands.SubmitAsync(JobKinds.Of<ExperimentKind>(), spec, caller, spec.Name, cancellationToken: cancellationToken);
    }

    /// <summary>Why the colour demo cannot run: its source is being installed, its installation failed, or this lab never installs it.</summary>
    private async Task<string?> ColourUnavailableAsync(CancellationToken cancellationToken)
    {
        if (await checkpoints.BuiltinOfKindAsync(ZooInstallKind.Id, cancellationToken) is not null)
            return null;
        var installs = (await jobs.ListAsync(kind: ZooInstallKind.Id, owner: AccessPolicy.LabOwner, limit: 20, cancellationToken: cancellationToken))
            .Where(LabBootstrap.IsBuiltinSourceJob).ToList();
        if (installs.Any(j => !j.IsFinished))
            return "The lab's ImageNet ResNet-18 source is being installed (first start only, a few seconds); the button unlocks when it is ready.";
        if (installs.FirstOrDefault() is { } failed)
            return $"Installing the lab's ImageNet ResNet-18 source {failed.State.Label()}: {failed.Error ?? "no reason recorded"} (job {failed.Id}).";
        return "This lab has no ImageNet ResNet-18 source: it installs one on its first start unless WebLab:InstallZooSource is false " +
               "(set it to true and restart the lab).";
    }
}
