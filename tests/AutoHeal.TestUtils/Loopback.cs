using System.Net;
using System.Net.Sockets;

namespace AutoHeal.TestUtils;

/// <summary>Ports on 127.0.0.1, where all the tests' traffic stays.</summary>
public static class Loopback
{
    /// <summary>A port on 127.0.0.1 nothing listens on (as of now).</summary>
    public static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }
}
