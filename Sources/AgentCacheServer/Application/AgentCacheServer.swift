import AgentCacheCore
import Hummingbird
import Logging
import NIOCore

/// Assembles the server: engine, routes, middleware and background services, as one
/// Hummingbird application that runs until SIGTERM/SIGINT and then drains in-flight requests.
public enum AgentCacheServer {
    /// The parts of a built server that tests and the executable may want to reach.
    public struct Parts: Sendable {
        public let engine: CacheEngine
        public let metrics: ServerMetrics
    }

    /// Builds the application for `configuration`. `clock` is injectable so tests can move time.
    public static func buildApplication(
        configuration: ServerConfiguration,
        clock: any CacheClock = SystemClock(),
        logger: Logger = Logger(label: "agentcache")
    ) -> (application: some ApplicationProtocol, parts: Parts) {
        let edge = EdgeCache(configuration: configuration.edge)
        let engine = CacheEngine(edge: edge, clock: clock, configuration: configuration.engine)
        let metrics = ServerMetrics()
        let router = buildRouter(configuration: configuration, engine: engine, metrics: metrics)
        var application = Application(
            router: router,
            configuration: .init(
                address: .hostname(configuration.host, port: configuration.port),
                serverName: "agentcache"
            ),
            logger: logger
        )
        application.addServices(
            EdgeSweeper(
                edge: edge,
                clock: clock,
                interval: configuration.sweepInterval,
                slotsPerTick: configuration.sweepSlotsPerTick,
                logger: logger
            )
        )
        return (application, Parts(engine: engine, metrics: metrics))
    }

    static func buildRouter(
        configuration: ServerConfiguration,
        engine: CacheEngine,
        metrics: ServerMetrics
    ) -> Router<AgentCacheRequestContext> {
        let router = Router(context: AgentCacheRequestContext.self)
        // Outermost first: metrics see the final status, errors are rendered before them.
        router.add(middleware: RequestMetricsMiddleware(metrics: metrics))
        router.add(middleware: ErrorMiddleware())
        router.add(middleware: TenantResolver())
        CacheRoutes(engine: engine, metrics: metrics, maxBodyBytes: configuration.maxBodyBytes).register(on: router)
        OperationsRoutes(engine: engine, metrics: metrics, startedAt: .now()).register(on: router)
        return router
    }
}
