import GRDB

/// A scrape's node rows, fetched from the `nodes` columns they name (Decodable).
extension FleetMetricsSnapshot.Node: FetchableRecord {}
