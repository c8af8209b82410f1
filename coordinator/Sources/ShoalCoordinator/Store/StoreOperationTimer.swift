/// Hears how long each store transaction took, named by the store method that ran it; the
/// coordinator's metrics turn this into `shoal_db_operation_duration_seconds`.
public protocol StoreOperationTimer: Sendable {
    func record(operation: String, duration: Duration)
}
