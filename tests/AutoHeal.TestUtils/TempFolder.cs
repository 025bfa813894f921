namespace AutoHeal.TestUtils;

/// <summary>A fresh folder under the temp path (not created until something writes to it), deleted on dispose.</summary>
public sealed class TempFolder : IDisposable
{
    /// <summary>The folder.</summary>
    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "autoheal-tests", Guid.NewGuid().ToString("N"));

    /// <inheritdoc />
    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
            // nothing was written
        }
        catch (IOException)
        {
            // best effort: it is under the temp path
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
