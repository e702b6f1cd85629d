using System.CommandLine;
using System.Diagnostics;
using WebLab.Data;

namespace WebLab.Cli;

/// <summary>Shared options, output and error handling of the weblab verbs.</summary>
internal static class Cli
{
    public static Option<string> Device()
    {
        var option = new Option<string>("--device")
        {
            Description = "auto (a CUDA GPU when this build can use one; CUDA_VISIBLE_DEVICES picks which) or cpu",
            DefaultValueFactory = _ => WebLab.Runtime.DeviceChoice.Auto,
        };
        option.Validators.Add(result =>
        {
            if (WebLab.Runtime.DeviceChoice.Problem(result.GetValueOrDefault<string>()) is { } problem)
                result.AddError(problem);
        });
        return option;
    }

    public static Option<bool> Json() => new("--json") { Description = "print the result as JSON on stdout" };

    /// <summary>--json alone prints JSON on stdout; --json FILE writes it to FILE (atomically).</summary>
    public static Option<string?> JsonFile() => new("--json")
    {
        Description = "write the full result as JSON to FILE (or to stdout when no FILE is given)",
        Arity = ArgumentArity.ZeroOrOne,
    };

    /// <summary>Writes <paramref name="value"/> as JSON where --json asked for it.</summary>
    public static void WriteJson<T>(ParseResult parse, Option<string?> option, T value)
    {
        if (parse.GetResult(option) is null)
            return;
        var json = WebLabJson.Serialize(value);
        if (parse.GetValue(option) is { Length: > 0 } path)
        {
            var temp = path + ".tmp";
            File.WriteAllText(temp, json);
            File.Move(temp, path, overwrite: true);
            Console.Error.WriteLine($"  wrote {path}");
        }
        else
        {
            Console.Out.WriteLine(json);
        }
    }

    public static Option<bool> NoInstall() => new("--no-install")
    {
        Description = "never install a missing dataset's Debian package (by default, as root, WebLab runs apt-get install for it)",
    };

    /// <summary>Parses and runs; one clear line and a non-zero exit on errors.</summary>
    public static async Task<int> InvokeAsync(RootCommand root, string[] args)
    {
        try
        {
            return await root.Parse(args).InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        }
        catch (BadInputException e)
        {
            return Fail(e.Message, 2);
        }
        catch (OperationCanceledException)
        {
            return Fail("cancelled", 130);
        }
        catch (Exception e)
        {
            Console.Error.WriteLine(e);
            return Fail($"unexpected {e.GetType().Name}: {e.Message}", 1);
        }
    }

    public static int Fail(string message, int code)
    {
        Console.Error.WriteLine($"error: {message}");
        return code;
    }

    /// <summary>Prints <paramref name="value"/> as WebLab JSON.</summary>
    public static void PrintJson<T>(T value) => Console.Out.WriteLine(WebLabJson.Serialize(value));

    /// <summary>Status lines go to stderr so stdout stays machine-readable.</summary>
    public static IProgress<string> Status { get; } = new InlineProgress<string>(s => Console.Error.WriteLine($"  {s}"));

    /// <summary>File options for catalogue datasets; the apt fallback unless --no-install.</summary>
    public static DatasetFileOptions Files(bool noInstall) => new(InstallPackage: noInstall ? null : DebianPackages.TryInstall);
}

/// <summary>Installs a Debian package as the last way to get a dataset (root on Debian only).</summary>
internal static class DebianPackages
{
    public static bool TryInstall(string package)
    {
        if (!OperatingSystem.IsLinux() || !Environment.IsPrivilegedProcess || !File.Exists("/usr/bin/apt-get"))
            return false;
        Console.Error.WriteLine($"  installing Debian package {package} (apt-get install {package})");
        return Run($"install -y -q --no-install-recommends {package}") || (Run("update -q") && Run($"install -y -q --no-install-recommends {package}"));
    }

    private static bool Run(string arguments)
    {
        var start = new ProcessStartInfo("/usr/bin/apt-get", arguments) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.Environment["DEBIAN_FRONTEND"] = "noninteractive";
        using var process = Process.Start(start)!;
        process.StandardOutput.ReadToEnd();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
            Console.Error.WriteLine($"  apt-get {arguments.Split(' ')[0]} failed: {error.Trim().Split('\n').LastOrDefault()}");
        return process.ExitCode == 0;
    }
}
