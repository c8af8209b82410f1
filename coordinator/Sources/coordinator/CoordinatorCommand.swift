import ArgumentParser
import ShoalCoordinator

@main
struct CoordinatorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "coordinator",
        abstract: "The Shoal control plane: fleet CA, bundle signer, HTTPS API, and the operator CLI.",
        subcommands: [InitCommand.self, ServeCommand.self, TokenCommand.self, NodesCommand.self, TaskCommand.self, ScheduleCommand.self, ProfileCommand.self, OperatorCommand.self, RootCommand.self, DeliveryKeyCommand.self, CACommand.self, AuditCommand.self, UsageCommand.self, DashboardCommand.self, EnrollCommand.self, UnenrollCommand.self, DatabaseCommand.self]
    )
}
