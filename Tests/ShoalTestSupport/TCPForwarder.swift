import Foundation

/// A TCP forwarder from 127.0.0.1:`port` to 127.0.0.1:`target` (a small Python process).
/// `cut()` drops every connection through it and turns new ones away while keeping its port
/// (so nothing else can take it): a server that went away, for whatever connects through it.
/// `restore()` forwards again. `kill()` (SIGKILL) ends it for good. Cut and restore go through
/// a flag file the script looks at ten times a second: SIGUSR1/SIGUSR2 sent from the test
/// process never took effect here (not investigated further).
public final class TCPForwarder: @unchecked Sendable {
    public let port: Int
    public let target: Int
    private let process: Process
    private let flag: String

    private init(port: Int, target: Int, process: Process, flag: String) {
        self.port = port
        self.target = target
        self.process = process
        self.flag = flag
    }

    /// Starts forwarding and returns once it accepts connections (at most 10 s).
    public static func start(port: Int = freePort(), to target: Int) throws -> TCPForwarder {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        let flag = NSTemporaryDirectory() + "shoal-forwarder-\(port)-\(UUID().uuidString).down"
        process.arguments = ["python3", "-c", script, "\(port)", "\(target)", flag]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        // No pipe to read (a read could wait forever on a write end another child inherited):
        // connect until it answers, or the process is gone, or 10 s have passed.
        let deadline = Date().addingTimeInterval(10)
        while !acceptsConnections(port: port) {
            guard process.isRunning, Date() < deadline else {
                if process.isRunning { Foundation.kill(process.processIdentifier, SIGKILL) }
                throw CocoaError(.fileReadUnknown, userInfo: [NSLocalizedDescriptionKey: "the TCP forwarder on port \(port) did not start"])
            }
            usleep(50_000)
        }
        return TCPForwarder(port: port, target: target, process: process, flag: flag)
    }

    /// Closes every connection through it and refuses new ones (accepted and closed at once).
    public func cut() {
        FileManager.default.createFile(atPath: flag, contents: nil)
        usleep(300_000)
    }

    /// Forwards new connections again.
    public func restore() {
        try? FileManager.default.removeItem(atPath: flag)
        usleep(300_000)
    }

    /// SIGKILL, as a machine going away.
    public func kill() {
        guard process.isRunning else { return }
        Foundation.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    deinit {
        kill()
        try? FileManager.default.removeItem(atPath: flag)
    }

    /// The forwarder itself: argv[1] listens, argv[2] is the target port; while the file
    /// argv[3] (optional) exists, it is cut.
    public static let script = """
        import os, socket, sys, threading
        server = socket.socket()
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind(("127.0.0.1", int(sys.argv[1])))
        server.listen(64)
        # accept wakes up every 0.1 s to look at the flag file.
        server.settimeout(0.1)
        flag = sys.argv[3] if len(sys.argv) > 3 else None
        print("listening", flush=True)
        state = {"down": False}
        open_sockets = []
        lock = threading.Lock()
        def close_all():
            with lock:
                for end in open_sockets:
                    try:
                        end.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass
                open_sockets.clear()
        def pipe(source, sink):
            try:
                while True:
                    data = source.recv(65536)
                    if not data:
                        break
                    sink.sendall(data)
            except OSError:
                pass
            for end in (source, sink):
                try:
                    end.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
        while True:
            down = flag is not None and os.path.exists(flag)
            if down and not state["down"]:
                close_all()
            state["down"] = down
            try:
                client, _ = server.accept()
            except socket.timeout:
                continue
            client.settimeout(None)
            if state["down"]:
                client.close()
                continue
            try:
                upstream = socket.create_connection(("127.0.0.1", int(sys.argv[2])))
            except OSError:
                client.close()
                continue
            with lock:
                open_sockets.extend([client, upstream])
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=pipe, args=(source, sink), daemon=True).start()
        """
}
