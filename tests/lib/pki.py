"""Throwaway certificates for the TLS tests, made with the openssl command: CAs, and
server (subjectAltName IP:127.0.0.1) and client (clientAuth) certificates they sign.
EC P-256 keys, valid two days, everything as NAME.pem / NAME.key in one folder."""
import os
import subprocess

_EC = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]


def openssl(*args):
    run = subprocess.run(["openssl"] + list(args), capture_output=True, text=True,
                         stdin=subprocess.DEVNULL, timeout=60)
    assert run.returncode == 0, "openssl %s: %s" % (args[0], run.stderr)


def make(folder, label, cas, leaves):
    """cas: CA names; leaves: [(name, subject CN, CA name, "server" or "client")].
    Returns path(name) -> the file `name` in `folder`."""
    path = lambda name: os.path.join(folder, name)  # noqa: E731
    for ca in cas:
        openssl("req", "-x509", *_EC, "-keyout", path(ca + ".key"), "-out",
                path(ca + ".pem"), "-days", "2", "-subj", "/CN=%s %s" % (label, ca))
    with open(path("server.ext"), "w") as f:
        f.write("subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n")
    with open(path("client.ext"), "w") as f:
        f.write("basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n")
    for name, subject, ca, kind in leaves:
        issue(path, name, subject, path(ca + ".pem"), path(ca + ".key"),
              path(kind + ".ext"))
    return path


def issue(path, name, subject, ca_pem, ca_key, ext_file):
    """A key path(NAME.key) and a certificate path(NAME.pem) for CN=subject, signed by
    the CA in ca_pem/ca_key with the extensions in ext_file."""
    openssl("req", "-new", *_EC, "-keyout", path(name + ".key"), "-out",
            path(name + ".csr"), "-subj", "/CN=" + subject)
    openssl("x509", "-req", "-in", path(name + ".csr"), "-CA", ca_pem, "-CAkey", ca_key,
            "-CAcreateserial", "-out", path(name + ".pem"), "-days", "2",
            "-extfile", ext_file)
