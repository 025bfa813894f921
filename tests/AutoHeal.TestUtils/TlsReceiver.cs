using System.Collections.Concurrent;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace AutoHeal.TestUtils;

/// <summary>
/// An HTTPS endpoint on 127.0.0.1 for the services only reached over TLS (a Teams workflow): a certificate for
/// 127.0.0.1 signed by a CA of this test alone, whose PEM file (<see cref="CaFile"/>) the process under test trusts
/// through <c>SSL_CERT_FILE</c>. It answers every request 202 and keeps it; its certificate files serve other
/// loopback servers of the test as well.
/// </summary>
public sealed class TlsReceiver : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly X509Certificate2 _certificate;
    private readonly ConcurrentQueue<ReceivedRequest> _requests = new();
    private readonly CancellationTokenSource _stop = new();

    public TlsReceiver()
    {
        using var caKey = RSA.Create(2048);
        var caRequest = new CertificateRequest("CN=AutoHeal test CA", caKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        var now = DateTimeOffset.UtcNow;
        using var ca = caRequest.CreateSelfSigned(now.AddMinutes(-5), now.AddDays(2));

        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false)); // server auth
        using var leaf = request.Create(ca, now.AddMinutes(-5), now.AddDays(1), [1, 2, 3, 4, 5, 6, 7, 8]);
        _certificate = X509CertificateLoader.LoadPkcs12(leaf.CopyWithPrivateKey(key).Export(X509ContentType.Pkcs12), null);

        var files = Path.Combine(Path.GetTempPath(), $"autoheal-test-tls-{Guid.NewGuid():N}");
        CaFile = files + "-ca.pem";
        CertificateFile = files + "-cert.pem";
        KeyFile = files + "-key.pem";
        File.WriteAllText(CaFile, ca.ExportCertificatePem());
        File.WriteAllText(CertificateFile, leaf.ExportCertificatePem());
        File.WriteAllText(KeyFile, key.ExportPkcs8PrivateKeyPem());
        _listener.Start();
        _ = Task.Run(AcceptAsync);
    }

    /// <summary>Its port on 127.0.0.1.</summary>
    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>The CA's certificate (PEM), for <c>SSL_CERT_FILE</c>.</summary>
    public string CaFile { get; }

    /// <summary>The server's certificate and key (PEM), for another server on 127.0.0.1 to use (the SMTP server's STARTTLS).</summary>
    public string CertificateFile { get; }

    /// <inheritdoc cref="CertificateFile"/>
    public string KeyFile { get; }

    /// <summary>Every request received.</summary>
    public IReadOnlyList<ReceivedRequest> Received => _requests.ToArray();

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Dispose();
        _certificate.Dispose();
        _stop.Dispose();
        File.Delete(CaFile);
        File.Delete(CertificateFile);
        File.Delete(KeyFile);
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            _ = Task.Run(() => ServeAsync(client));
        }
    }

    // One HTTP/1.1 request per connection: the request line, headers, a Content-Length body; answered 202, closed.
    private async Task ServeAsync(TcpClient client)
    {
        using (client)
        {
            try
            {
                await using var tls = new SslStream(client.GetStream());
                await tls.AuthenticateAsServerAsync(_certificate);
                var head = new StringBuilder();
                var one = new byte[1];
                while (!head.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal) && await tls.ReadAsync(one) == 1)
                {
                    head.Append((char)one[0]);
                }

                var lines = head.ToString().Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
                var first = lines[0].Split(' ');
                var headers = lines.Skip(1).Select(l => l.Split(':', 2)).ToDictionary(p => p[0].Trim(), p => p[1].Trim(), StringComparer.OrdinalIgnoreCase);
                var body = new byte[int.Parse(headers.GetValueOrDefault("Content-Length", "0"), System.Globalization.CultureInfo.InvariantCulture)];
                await tls.ReadExactlyAsync(body);
                var target = new Uri(new Uri("https://127.0.0.1"), first[1]);
                _requests.Enqueue(new ReceivedRequest(first[0], target.AbsolutePath, target.Query, headers, Encoding.UTF8.GetString(body), true));
                await tls.WriteAsync("HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"u8.ToArray());
            }
            catch (Exception ex) when (ex is IOException or System.Security.Authentication.AuthenticationException)
            {
                // a client that gave up (or distrusted the certificate): nothing received
            }
        }
    }
}
