using RunbookHost.IO;

namespace RunbookHost.Report;

/// <summary>Writes a report in the chosen format, streamed to a temporary sibling and renamed into place (never a torn file).</summary>
public static class ReportOutput
{
    public static void Write(string path, ReportModel model, ReportFormat format)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var full = Path.GetFullPath(path);
        var temp = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None, BufferSize = 1 << 16 };
            if (!OperatingSystem.IsWindows())
                options.UnixCreateMode = AtomicFile.PublicFile;
            using (var stream = new FileStream(temp, options))
            {
                switch (format)
                {
                    case ReportFormat.Hdf: HdfReportWriter.Write(stream, model); break;
                    case ReportFormat.Junit: JunitReportWriter.Write(stream, model); break;
                    default: HtmlReportWriter.Write(stream, model); break;
                }
                stream.Flush(flushToDisk: true);
            }
            AtomicFile.Move(temp, full, overwrite: true);
        }
        catch
        {
            try { File.Delete(temp); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            throw;
        }
    }
}
