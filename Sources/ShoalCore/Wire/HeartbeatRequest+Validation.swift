import Foundation

extension HeartbeatRequest {
    /// Refuses a heartbeat outside `WireBounds`: the coordinator stores what passes and shows
    /// it to operators, Prometheus and the dashboard.
    public func validate() throws {
        let bounds = WireBounds("heartbeat")
        try bounds.child("spooledResults").integer(spooledResults, in: 0...10_000_000)
        try metrics.validate(bounds.child("metrics"))
        try facts?.validate(bounds.child("facts"))
        if let coordinatorURL {
            let urlBounds = bounds.child("coordinatorURL")
            guard coordinatorURL.utf8.count <= Self.maxCoordinatorURLBytes else {
                throw urlBounds.fail("longer than \(Self.maxCoordinatorURLBytes) bytes")
            }
            try urlBounds.text(coordinatorURL, max: Self.maxCoordinatorURLBytes)
            guard let url = URL(string: coordinatorURL), url.scheme == "https", url.host != nil else {
                throw urlBounds.fail("not an https:// URL with a host")
            }
        }
    }
}

extension NodeMetrics {
    static let maxBytes: Int64 = 1 << 60
    static let maxMiB: Int64 = 1 << 40

    func validate(_ bounds: WireBounds) throws {
        try bounds.child("cpuPercent").number(cpuPercent, in: 0...100)
        for (name, value) in [("load1", load1), ("load5", load5), ("load15", load15)] {
            try bounds.child(name).number(value, in: 0...1_000_000)
        }
        // Byte counts up to 2^60 (an exabyte), so sums over a node's GPUs, minutes and hours
        // never overflow where the coordinator adds them up (metric history, usage).
        for (name, value) in [("memoryTotalBytes", memoryTotalBytes), ("memoryUsedBytes", memoryUsedBytes), ("rootDiskTotalBytes", rootDiskTotalBytes), ("rootDiskUsedBytes", rootDiskUsedBytes)] {
            try bounds.child(name).integer(value, in: 0...Self.maxBytes)
        }
        try bounds.child("disks").count(disks ?? [], max: 256)
        for (index, disk) in (disks ?? []).enumerated() {
            let diskBounds = bounds.child("disks").element(index)
            try diskBounds.child("mount").text(disk.mount, max: 4096)
            try diskBounds.child("totalBytes").integer(disk.totalBytes, in: 0...Self.maxBytes)
            try diskBounds.child("freeBytes").integer(disk.freeBytes, in: 0...Self.maxBytes)
        }
        try bounds.child("gpus").count(gpus ?? [], max: 64)
        for (index, gpu) in (gpus ?? []).enumerated() {
            let gpuBounds = bounds.child("gpus").element(index)
            try gpuBounds.child("memoryUsedMiB").integer(gpu.memoryUsedMiB, in: 0...Self.maxMiB)
            try gpuBounds.child("memoryTotalMiB").integer(gpu.memoryTotalMiB, in: 0...Self.maxMiB)
            try gpuBounds.child("index").integer(gpu.index, in: 0...1023)
            try gpuBounds.child("uuid").text(gpu.uuid, max: 128)
            try gpuBounds.child("utilizationPercent").number(gpu.utilizationPercent, in: 0...100)
            try gpuBounds.child("memoryUtilizationPercent").number(gpu.memoryUtilizationPercent, in: 0...100)
            try gpuBounds.child("temperatureC").number(gpu.temperatureC, in: -273...1000)
            try gpuBounds.child("powerDrawW").number(gpu.powerDrawW, in: 0...100_000)
            try gpuBounds.child("powerLimitW").number(gpu.powerLimitW, in: 0...100_000)
            try gpuBounds.child("clockSMMHz").number(gpu.clockSMMHz, in: 0...1_000_000)
            try gpuBounds.child("clockMemoryMHz").number(gpu.clockMemoryMHz, in: 0...1_000_000)
            try gpuBounds.child("pciBusID").text(gpu.pciBusID, max: 64)
            try gpuBounds.child("throttleReasons").count(gpu.throttleReasons ?? [], max: 32)
            for (position, reason) in (gpu.throttleReasons ?? []).enumerated() {
                try gpuBounds.child("throttleReasons").element(position).text(reason, max: 64)
            }
            try gpuBounds.child("xidCodes").count(gpu.xidCodes ?? [], max: 64)
            for (position, code) in (gpu.xidCodes ?? []).enumerated() {
                try gpuBounds.child("xidCodes").element(position).integer(code, in: 0...100_000)
            }
            try gpuBounds.child("lastXid").integer(gpu.lastXid, in: 0...100_000)
            try gpuBounds.child("healthReason").text(gpu.healthReason, max: GPUHealthJudge.maxReasonLength)
        }
        try bounds.child("gpuHealthReason").text(gpuHealthReason, max: GPUHealthJudge.maxReasonLength)
        try bounds.child("checks").count(checks ?? [], max: 64)
        for (index, check) in (checks ?? []).enumerated() {
            let checkBounds = bounds.child("checks").element(index)
            try checkBounds.child("name").text(check.name, max: 128)
            try checkBounds.child("kind").text(check.kind, max: 32)
            try checkBounds.child("message").text(check.message, max: 4096)
        }
    }
}

extension NodeFacts {
    func validate(_ bounds: WireBounds) throws {
        try HostnameText.validate(hostname, field: bounds.child("hostname").field)
        for (name, value) in [("osID", osID), ("osVersion", osVersion), ("osPrettyName", osPrettyName), ("kernel", kernel), ("architecture", architecture), ("cpuModel", cpuModel), ("agentVersion", agentVersion)] {
            try bounds.child(name).text(value, max: 256)
        }
        try bounds.child("cpuCount").integer(cpuCount, in: 0...1_000_000)
        try bounds.child("disks").count(disks, max: 256)
        for (index, disk) in disks.enumerated() {
            try bounds.child("disks").element(index).child("mount").text(disk.mount, max: 4096)
        }
        guard let gpu else { return }
        let gpuBounds = bounds.child("gpu")
        for (name, value) in [("vendor", gpu.vendor), ("driverVersion", gpu.driverVersion), ("cudaVersion", gpu.cudaVersion)] {
            try gpuBounds.child(name).text(value, max: 64)
        }
        try gpuBounds.child("driverProblem").text(gpu.driverProblem, max: 4096)
        try gpuBounds.child("devices").count(gpu.devices, max: 64)
        for (index, device) in gpu.devices.enumerated() {
            let deviceBounds = gpuBounds.child("devices").element(index)
            try deviceBounds.child("index").integer(device.index, in: 0...1023)
            try deviceBounds.child("migDevices").integer(device.migDevices, in: 0...1024)
            for (name, value) in [("model", device.model), ("uuid", device.uuid), ("computeCapability", device.computeCapability), ("migMode", device.migMode), ("pciBusID", device.pciBusID), ("pciDeviceID", device.pciDeviceID)] {
                try deviceBounds.child(name).text(value, max: 128)
            }
        }
    }
}
