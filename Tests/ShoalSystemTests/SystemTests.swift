import Testing

/// Every system test starts real coordinators and agents. They run one at a time under this
/// serialized parent, so a 2-core machine is not asked to run several fleets at once and
/// timings stay meaningful.
@Suite(.serialized)
enum SystemTests {}
