"""The event loop's own network backend (providers/backend.py), through httpx, against real
servers on loopback: plain and TLS, large and slow answers, timeouts, refused connections,
and idle pooled connections the server has closed."""

import asyncio
import datetime
import ipaddress
import ssl

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from playground.providers.backend import READ_HIGH_WATER, AsyncioBackend, use_backend


def _client(verify: ssl.SSLContext | bool = True, **timeouts) -> httpx.AsyncClient:
    transport = httpx.AsyncHTTPTransport(verify=verify)
    use_backend(transport, AsyncioBackend())
    return httpx.AsyncClient(transport=transport, timeout=httpx.Timeout(5, **timeouts))


class _Server:
    """An HTTP/1.1 server on loopback; answer(body) gives each request's whole reply."""

    def __init__(self, answer, ssl_context: ssl.SSLContext | None = None):
        self.answer = answer
        self.ssl_context = ssl_context
        self.connections = 0
        self.server: asyncio.Server | None = None
        self._handlers: set[asyncio.Task] = set()

    async def __aenter__(self):
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0, ssl=self.ssl_context)
        return self

    async def __aexit__(self, *exc):
        self.server.close()
        for handler in self._handlers:
            handler.cancel()
        await self.server.wait_closed()

    @property
    def port(self) -> int:
        return self.server.sockets[0].getsockname()[1]

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        self.connections += 1
        self._handlers.add(asyncio.current_task())
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value)
                body = await reader.readexactly(length) if length else b""
                keep_open = await self.answer(body, writer)
                if not keep_open:
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


def _reply(body: bytes, close: bool = False) -> bytes:
    connection = b"close" if close else b"keep-alive"
    return (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
        b"Content-Length: %d\r\nConnection: %s\r\n\r\n" % (len(body), connection)
    ) + body


async def test_an_answer_arrives_whole_however_large():
    # Four times the buffer's high-water mark, so reading pauses and resumes on the way.
    payload = bytes(range(256)) * (4 * READ_HIGH_WATER // 256)

    async def answer(body, writer):
        writer.write(_reply(payload))
        await writer.drain()
        return True

    async with _Server(answer) as server, _client() as client:
        async with client.stream("GET", f"http://127.0.0.1:{server.port}/") as response:
            received = bytearray()
            async for part in response.aiter_raw():
                received += part
                await asyncio.sleep(0)  # a reader slower than the network
        assert bytes(received) == payload


async def test_a_request_body_goes_out_whole():
    sent = b"x" * (3 * 1024 * 1024)

    async def answer(body, writer):
        writer.write(_reply(str(len(body)).encode() + b" " + body[-5:]))
        await writer.drain()
        return True

    async with _Server(answer) as server, _client() as client:
        response = await client.post(f"http://127.0.0.1:{server.port}/", content=sent)
    assert response.text == f"{len(sent)} xxxxx"


@pytest.mark.parametrize(("keeps_it_open", "connections"), [(True, 1), (False, 3)])
async def test_an_idle_connection_is_reused_unless_the_server_closed_it(keeps_it_open, connections):
    async def answer(body, writer):
        # Says keep-alive either way; a server with a short idle timeout then hangs up.
        writer.write(_reply(b"ok"))
        await writer.drain()
        return keeps_it_open

    async with _Server(answer) as server, _client() as client:
        url = f"http://127.0.0.1:{server.port}/"
        for _ in range(3):
            assert (await client.get(url)).text == "ok"
            await asyncio.sleep(0.05)  # a FIN from the server reaches the idle connection
        assert server.connections == connections


async def test_a_silent_server_times_the_read_out():
    async def answer(body, writer):
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhalf")
        await writer.drain()
        await asyncio.sleep(10)
        return False

    async with _Server(answer) as server, _client(read=0.2) as client:
        with pytest.raises(httpx.ReadTimeout):
            await client.get(f"http://127.0.0.1:{server.port}/")


async def test_a_server_that_hangs_up_mid_answer_is_a_protocol_error():
    async def answer(body, writer):
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhalf")
        await writer.drain()
        return False

    async with _Server(answer) as server, _client() as client:
        with pytest.raises(httpx.RemoteProtocolError):
            await client.get(f"http://127.0.0.1:{server.port}/")


async def test_a_refused_connection_is_a_connect_error():
    async def answer(body, writer):
        return False

    async with _Server(answer) as server:
        port = server.port
    async with _client() as client:
        with pytest.raises(httpx.ConnectError, match=r"^Connection refused$"):
            await client.get(f"http://127.0.0.1:{port}/")


async def test_closing_a_stream_early_hangs_up_on_the_server():
    hung_up = asyncio.Event()

    async def answer(body, writer):
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n"
        )
        try:
            while True:
                writer.write(b"6\r\ndata: \r\n")
                await writer.drain()
                await asyncio.sleep(0.01)
        except ConnectionError:
            hung_up.set()
        return False

    async with _Server(answer) as server, _client() as client:
        async with client.stream("GET", f"http://127.0.0.1:{server.port}/") as response:
            async for _ in response.aiter_raw():
                break
        await asyncio.wait_for(hung_up.wait(), 5)


def _certificate(host: str):
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=1))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(host))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    return certificate, key


@pytest.fixture
def tls(tmp_path):
    """A server context for 127.0.0.1, and a client context that trusts it."""
    certificate, key = _certificate("127.0.0.1")
    cert_file, key_file = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(cert_file, key_file)
    client = ssl.create_default_context(cafile=str(cert_file))
    return server, client


async def test_an_answer_over_tls(tls):
    server_context, client_context = tls
    payload = b"secret " * 100_000

    async def answer(body, writer):
        writer.write(_reply(payload + body))
        await writer.drain()
        return True

    async with (
        _Server(answer, server_context) as server,
        _client(verify=client_context) as client,
    ):
        url = f"https://127.0.0.1:{server.port}/"
        first = await client.post(url, content=b"!")
        second = await client.post(url, content=b"?")
    assert first.content == payload + b"!"
    assert second.content == payload + b"?"
    assert server.connections == 1


async def test_a_certificate_not_trusted_is_a_connect_error(tls):
    server_context, _ = tls

    async def answer(body, writer):
        writer.write(_reply(b"should not be read"))
        await writer.drain()
        return False

    async with _Server(answer, server_context) as server, _client() as client:
        with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
            await client.get(f"https://127.0.0.1:{server.port}/")


async def test_a_tls_handshake_that_never_comes_times_out():
    async def answer(body, writer):
        raise AssertionError("No request can come before the handshake.")

    # A plain server, which never answers the client's hello.
    async with _Server(answer) as server, _client(connect=0.3) as client:
        with pytest.raises(httpx.ConnectTimeout):
            await client.get(f"https://127.0.0.1:{server.port}/")
