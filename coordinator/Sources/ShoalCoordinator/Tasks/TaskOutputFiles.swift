import Foundation
import Hummingbird
import NIOCore
import NIOPosix
import ShoalCore

/// Full step output on the coordinator's disk, one file per step and stream. The database
/// keeps only head and tail; this is what `coordinator task output` shows. Written and read
/// as streams, so neither an upload nor a download is ever held whole in memory.
struct TaskOutputFiles: StepOutputStore {
    let root: String

    func directory(taskID: String, deliveryID: String) -> String {
        "\(root)/\(ResultPathName.safe(taskID))/\(ResultPathName.safe(deliveryID))"
    }

    func path(taskID: String, deliveryID: String, step: Int, stream: String) -> String {
        directory(taskID: taskID, deliveryID: deliveryID) + "/step-\(step).\(stream)"
    }

    /// Writes `body` to the step's file as it arrives; returns the bytes stored. Refused with
    /// `request.too_large` (nothing kept) past `streamCap`, or past `deliveryCap` counting the
    /// delivery's other files. The file is replaced atomically.
    func store(
        _ body: RequestBody, taskID: String, deliveryID: String, step: Int, stream: String, streamCap: Int, deliveryCap: Int
    ) async throws -> Int {
        let folder = directory(taskID: taskID, deliveryID: deliveryID)
        let file = path(taskID: taskID, deliveryID: deliveryID, step: step, stream: stream)
        let temporary = folder + "/.upload-\(RandomID.make(bytes: 6))"
        // The calls that wait on the disk (directories, the listing, fsync, rename) run on
        // NIO's blocking-I/O pool: on Swift's cooperative pool (one thread per core) each
        // would stall every other request for as long as the disk takes.
        let (others, fd) = try await NIOThreadPool.singleton.runIfActive {
            try SecureFile.makeDirectory(folder)
            let others = Self.bytes(in: folder, excluding: (file as NSString).lastPathComponent)
            guard min(streamCap, deliveryCap - others) > 0 else { return (others, Int32(-1)) }
            let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o600)
            guard fd >= 0 else { throw ShoalError(.storage, "cannot create \(temporary): \(String(cString: strerror(errno)))") }
            return (others, fd)
        }
        let allowed = min(streamCap, deliveryCap - others)
        guard allowed > 0 else {
            throw ShoalError(.bodyTooLarge, "delivery \(deliveryID) already has \(others) bytes of output, its limit (limits.max_output_bytes_per_delivery: \(deliveryCap)); the rest is not kept")
        }
        var kept = false
        defer {
            close(fd)
            if !kept { unlink(temporary) }
        }
        var written = 0
        for try await chunk in body {
            written += chunk.readableBytes
            guard written <= allowed else {
                throw ShoalError(.bodyTooLarge, "step output is over the \(allowed) bytes left for it (\(streamCap) per stream; limits.max_output_bytes_per_delivery \(deliveryCap) per delivery, \(others) already stored); nothing of this upload is kept")
            }
            try chunk.withUnsafeReadableBytes { buffer in
                var offset = 0
                while offset < buffer.count {
                    let count = write(fd, buffer.baseAddress!.advanced(by: offset), buffer.count - offset)
                    if count < 0, errno == EINTR { continue }
                    guard count > 0 else { throw ShoalError(.storage, "cannot write step output: \(String(cString: strerror(errno)))\(errno == ENOSPC ? " — free disk space on the coordinator" : "")") }
                    offset += count
                }
            }
        }
        try await NIOThreadPool.singleton.runIfActive {
            guard fsync(fd) == 0, rename(temporary, file) == 0 else {
                throw ShoalError(.storage, "cannot store step output \(file): \(String(cString: strerror(errno)))")
            }
        }
        kept = true
        return written
    }

    /// Retention: the task folders under `root` (named by `ResultPathName.safe` of the task
    /// id) with the bytes each holds.
    func storedTasks() -> [String: Int64] {
        let files = FileManager.default
        var sizes: [String: Int64] = [:]
        for folder in (try? files.contentsOfDirectory(atPath: root)) ?? [] {
            var total: Int64 = 0
            let enumerator = files.enumerator(atPath: root + "/" + folder)
            while let file = enumerator?.nextObject() as? String {
                let attributes = try? files.attributesOfItem(atPath: "\(root)/\(folder)/\(file)")
                if attributes?[.type] as? FileAttributeType == .typeRegular { total += (attributes?[.size] as? NSNumber)?.int64Value ?? 0 }
            }
            sizes[folder] = total
        }
        return sizes
    }

    /// Retention: removes every output file of one task folder (as `storedTasks` names it).
    func remove(taskFolder: String) throws {
        let path = root + "/" + ResultPathName.safe(taskFolder)
        guard FileManager.default.fileExists(atPath: path) else { return }
        try FileManager.default.removeItem(atPath: path)
    }

    /// Every stream of every step, in order, with a header line each, as a response body
    /// read from disk in chunks.
    func body(taskID: String, delivery: DeliveryRecord) -> ResponseBody {
        let parts: [(header: String, file: String)] = (delivery.result?.steps ?? []).flatMap { step in
            StepOutputFile.streams.map { stream in
                (Self.header(step: step, stream: stream), path(taskID: taskID, deliveryID: delivery.id, step: step.index, stream: stream))
            }
        }
        return ResponseBody { writer in
            for part in parts {
                guard let handle = FileHandle(forReadingAtPath: part.file) else { continue }
                defer { try? handle.close() }
                var first = true
                var last: UInt8 = 10
                while let chunk = try handle.read(upToCount: 64 * 1024), !chunk.isEmpty {
                    if first { try await writer.write(ByteBuffer(string: part.header)); first = false }
                    try await writer.write(ByteBuffer(bytes: chunk))
                    last = chunk.last ?? last
                }
                if !first, last != 10 { try await writer.write(ByteBuffer(string: "\n")) }
            }
            try await writer.finish(nil)
        }
    }

    /// Bytes in the regular files of `folder`, leaving out `excluding`.
    static func bytes(in folder: String, excluding: String) -> Int {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        var total = 0
        for name in names where name != excluding && !name.hasPrefix(".upload-") {
            var info = stat()
            if lstat(folder + "/" + name, &info) == 0, info.st_mode & S_IFMT == S_IFREG { total += Int(info.st_size) }
        }
        return total
    }
}

/// Ids from the network become path components only after this.
enum ResultPathName {
    static func safe(_ id: String) -> String {
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")
        let cleaned = String(id.filter { allowed.contains($0) }.prefix(100))
        return cleaned.isEmpty ? "unnamed" : cleaned
    }
}
