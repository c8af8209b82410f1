import Foundation
import Synchronization

/// A token bucket per key (a node id, a source address): `capacity` requests at once, refilled
/// at `perSecond`. It remembers at most `maxKeys` keys; when full it forgets the buckets that
/// have refilled (they hold nothing a new bucket would not), so a flood of new keys cannot
/// grow it without bound.
final class KeyedRateLimiter: Sendable {
    private struct Bucket {
        var tokens: Double
        var updated: ContinuousClock.Instant
    }

    let capacity: Double
    let perSecond: Double
    let maxKeys: Int
    private let buckets = Mutex<[String: Bucket]>([:])

    init(capacity: Int, perSecond: Double, maxKeys: Int = 100_000) {
        self.capacity = Double(max(capacity, 1))
        self.perSecond = max(perSecond, 0.001)
        self.maxKeys = maxKeys
    }

    /// Takes one token for `key`: nil when allowed, else the whole seconds to wait.
    func take(_ key: String, now: ContinuousClock.Instant = .now) -> Int? {
        buckets.withLock { buckets in
            var bucket = refilled(buckets[key], now: now)
            guard bucket.tokens >= 1 else {
                buckets[key] = bucket
                return wait(for: bucket)
            }
            bucket.tokens -= 1
            if buckets[key] == nil, buckets.count >= maxKeys { forgetFull(&buckets, now: now) }
            buckets[key] = bucket
            return nil
        }
    }

    /// Whether `key` has a token left, without taking it: nil when it has, else seconds to wait.
    func check(_ key: String, now: ContinuousClock.Instant = .now) -> Int? {
        buckets.withLock { buckets in
            let bucket = refilled(buckets[key], now: now)
            return bucket.tokens >= 1 ? nil : wait(for: bucket)
        }
    }

    var keyCount: Int { buckets.withLock { $0.count } }

    private func refilled(_ bucket: Bucket?, now: ContinuousClock.Instant) -> Bucket {
        guard var bucket else { return Bucket(tokens: capacity, updated: now) }
        let elapsed = now - bucket.updated
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        bucket.tokens = min(capacity, bucket.tokens + max(seconds, 0) * perSecond)
        bucket.updated = now
        return bucket
    }

    private func wait(for bucket: Bucket) -> Int {
        max(1, Int(((1 - bucket.tokens) / perSecond).rounded(.up)))
    }

    private func forgetFull(_ buckets: inout [String: Bucket], now: ContinuousClock.Instant) {
        buckets = buckets.filter { refilled($0.value, now: now).tokens < capacity }
        if buckets.count >= maxKeys {
            // Everyone is busy: drop the half updated longest ago rather than grow.
            let keep = buckets.sorted { $0.value.updated > $1.value.updated }.prefix(maxKeys / 2)
            buckets = Dictionary(uniqueKeysWithValues: keep.map { ($0.key, $0.value) })
        }
    }
}
