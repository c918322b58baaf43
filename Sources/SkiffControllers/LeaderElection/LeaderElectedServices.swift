import Foundation
import Logging
import ServiceLifecycle
import SkiffClient
import SkiffModel

/// Services that run on one server at a time: the controllers and the scheduler of a server among several on one
/// datastore. Each term of leadership builds them anew with `makeServices` (a stopped controller cannot be run
/// again) and runs them in a `ServiceGroup` of their own; losing the lease cancels that group, a graceful
/// shutdown of the server reaches it as a graceful shutdown (the group inherits it), after which the lease is
/// released so another server takes over at once.
public struct LeaderElectedServices: Service {
    let elector: LeaderElector
    let makeServices: @Sendable () -> [any Service]
    let logger: Logger

    public init(
        api: any ClusterAPI, lease: LeaderElector.LeaseName, identity: String,
        configuration: LeaderElectionState.Configuration = .init(), clock: ServiceClock = .continuous,
        logger: Logger, makeServices: @escaping @Sendable () -> [any Service]
    ) {
        self.init(
            elector: LeaderElector(
                api: api, lease: lease, identity: identity, configuration: configuration, clock: clock,
                logger: logger),
            logger: logger, makeServices: makeServices)
    }

    /// With an elector configured beyond the defaults (a test's wall clock and jitter).
    public init(elector: LeaderElector, logger: Logger, makeServices: @escaping @Sendable () -> [any Service]) {
        self.elector = elector
        self.logger = logger
        self.makeServices = makeServices
    }

    public func run() async throws {
        await elector.run { [makeServices, logger] in
            let services = makeServices()
            guard !services.isEmpty else { return try await gracefulShutdown() }
            let group = ServiceGroup(
                configuration: ServiceGroupConfiguration(
                    services: services.map { ServiceGroupConfiguration.ServiceConfiguration(service: $0) },
                    logger: logger))
            try await group.run()
        }
    }
}
