using System.Diagnostics;

namespace ServerlessReco.Functions.Serve;

/// <summary>Cold-start figures in the logs: time since the operating system started this process.</summary>
public static class ProcessClock
{
    public static double MillisecondsSinceStart() => (DateTime.Now - Process.GetCurrentProcess().StartTime).TotalMilliseconds;
}
