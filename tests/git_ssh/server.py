"""A git-over-ssh server for tests (paramiko), on loopback.

    python server.py --host-key FILE --authorized-key AUTHORIZED_KEYS --root DIR
                     [--user git] [--log FILE]

Listens on 127.0.0.1 on a free port and prints that port alone on a line on stdout.
Accepts public-key authentication only, for one user and the public keys listed in
an authorized_keys file (`TYPE BASE64 [COMMENT]` lines); passwords,
keyboard-interactive and `none` are refused. A session may only `exec` `git-upload-pack '<path>'` (what
libgit2 sends over libssh2; `git upload-pack` too), which runs the real
`git-upload-pack <root>/<path>` with its stdin, stdout, stderr and exit status piped
to and from the channel. Anything else (shells, ptys, other commands, paths outside
the root) is refused. The server exits as soon as its own stdin reaches EOF, so a
test harness that spawns it with a pipe on stdin never leaves it behind.

`--log FILE` appends one line per event, flushed at once, for the tests to read:
`auth USER publickey KEYTYPE accepted|refused`, `auth USER password refused`,
`exec COMMAND`, `refused-exec COMMAND`, `exit STATUS`.
"""

import argparse
import os
import shlex
import socket
import subprocess
import sys
import threading

import paramiko

UPLOAD_PACK = ("git-upload-pack", "git upload-pack")


class Log:
    def __init__(self, path):
        self._path = path
        self._lock = threading.Lock()

    def __call__(self, line):
        if not self._path:
            return
        with self._lock, open(self._path, "a", encoding="utf-8") as f:
            f.write(line + "\n")


def load_host_key(path):
    for cls in (paramiko.Ed25519Key, paramiko.ECDSAKey, paramiko.RSAKey):
        try:
            return cls.from_private_key_file(path)
        except (paramiko.SSHException, ValueError):
            continue
    sys.exit(f"git ssh test server: cannot read the host key {path}")


def load_authorized_keys(path):
    """`{(type, base64)}` of an authorized_keys file (options are not supported)."""
    keys = set()
    with open(path, encoding="utf-8") as f:
        for line in f:
            fields = line.split()
            if len(fields) >= 2 and not fields[0].startswith("#"):
                keys.add((fields[0], fields[1]))
    if not keys:
        sys.exit(f"git ssh test server: no public key in {path}")
    return keys


class Server(paramiko.ServerInterface):
    def __init__(self, args, authorized, log):
        self.args = args
        self.authorized = authorized
        self.log = log
        self.env = {}

    # --- authentication: public key only ---
    def get_allowed_auths(self, username):
        return "publickey"

    def check_auth_none(self, username):
        self.log(f"auth {username} none refused")
        return paramiko.AUTH_FAILED

    def check_auth_password(self, username, password):
        self.log(f"auth {username} password refused")
        return paramiko.AUTH_FAILED

    def check_auth_interactive(self, username, submethods):
        self.log(f"auth {username} keyboard-interactive refused")
        return paramiko.AUTH_FAILED

    def check_auth_publickey(self, username, key):
        ok = (
            username == self.args.user
            and (key.get_name(), key.get_base64()) in self.authorized
        )
        self.log(
            f"auth {username} publickey {key.get_name()} "
            + ("accepted" if ok else "refused")
        )
        return paramiko.AUTH_SUCCESSFUL if ok else paramiko.AUTH_FAILED

    # --- channels: one session, exec of git-upload-pack only ---
    def check_channel_request(self, kind, chanid):
        if kind == "session":
            return paramiko.OPEN_SUCCEEDED
        return paramiko.OPEN_FAILED_ADMINISTRATIVELY_PROHIBITED

    def check_channel_env_request(self, channel, name, value):
        name = name.decode() if isinstance(name, bytes) else name
        value = value.decode() if isinstance(value, bytes) else value
        if name == "GIT_PROTOCOL":
            self.env[name] = value
            return True
        return False

    def check_channel_exec_request(self, channel, command):
        command = command.decode("utf-8", "replace")
        repo = self.repository(command)
        if repo is None:
            self.log(f"refused-exec {command}")
            return False
        self.log(f"exec {command}")
        threading.Thread(
            target=self.upload_pack, args=(channel, repo), daemon=True
        ).start()
        return True

    def repository(self, command):
        """The repository folder a `git-upload-pack '<path>'` names, or None."""
        try:
            argv = shlex.split(command)
        except ValueError:
            return None
        if len(argv) == 3 and argv[0] == "git" and argv[1] == "upload-pack":
            argv = ["git upload-pack", argv[2]]
        if len(argv) != 2 or argv[0] not in UPLOAD_PACK:
            return None
        root = os.path.realpath(self.args.root)
        path = os.path.realpath(os.path.join(root, argv[1].lstrip("/")))
        if os.path.commonpath([root, path]) != root or not os.path.isdir(path):
            return None
        return path

    def upload_pack(self, channel, repo):
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": self.args.root,
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_CONFIG_GLOBAL": "/dev/null",
            **self.env,
        }
        try:
            proc = subprocess.Popen(
                ["git-upload-pack", repo],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=env,
            )
        except OSError as e:
            channel.sendall_stderr(f"cannot run git-upload-pack: {e}\n".encode())
            channel.send_exit_status(127)
            channel.close()
            return

        def client_to_stdin():
            try:
                while True:
                    data = channel.recv(65536)
                    if not data:
                        break
                    proc.stdin.write(data)
                    proc.stdin.flush()
            except (OSError, EOFError):
                pass
            finally:
                try:
                    proc.stdin.close()
                except OSError:
                    pass

        def pipe_to(stream, send):
            try:
                while True:
                    data = stream.read1(65536)
                    if not data:
                        break
                    send(data)
            except (OSError, EOFError):
                pass

        threads = [
            threading.Thread(target=client_to_stdin, daemon=True),
            threading.Thread(
                target=pipe_to, args=(proc.stdout, channel.sendall), daemon=True
            ),
            threading.Thread(
                target=pipe_to,
                args=(proc.stderr, channel.sendall_stderr),
                daemon=True,
            ),
        ]
        for t in threads:
            t.start()
        status = proc.wait()
        threads[1].join()
        threads[2].join()
        self.log(f"exit {status}")
        try:
            channel.send_exit_status(status)
            channel.shutdown_write()
            channel.close()
        except (OSError, EOFError, paramiko.SSHException):
            pass


def serve(conn, args, host_key, authorized, log):
    transport = paramiko.Transport(conn)
    transport.add_server_key(host_key)
    server = Server(args, authorized, log)
    try:
        transport.start_server(server=server)
        # Serve until the client disconnects (it may open several channels).
        while transport.is_active():
            transport.join(1.0)
    except (paramiko.SSHException, EOFError, OSError):
        pass
    finally:
        transport.close()


def exit_with_stdin():
    try:
        while sys.stdin.buffer.read(4096):
            pass
    finally:
        os._exit(0)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--host-key", required=True)
    p.add_argument("--authorized-key", required=True)
    p.add_argument("--root", required=True)
    p.add_argument("--user", default="git")
    p.add_argument("--log")
    args = p.parse_args()

    host_key = load_host_key(args.host_key)
    authorized = load_authorized_keys(args.authorized_key)
    log = Log(args.log)

    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    threading.Thread(target=exit_with_stdin, daemon=True).start()
    print(listener.getsockname()[1], flush=True)

    while True:
        conn, _ = listener.accept()
        threading.Thread(
            target=serve, args=(conn, args, host_key, authorized, log), daemon=True
        ).start()


if __name__ == "__main__":
    main()
