/// Where on a cluster a machine type's runners go, beyond its size: the scheduler's partition,
/// the node features it needs, and the account and quality of service its jobs are charged to.
/// Every field is optional; an engine that runs runners on its own machine ignores them all.
public struct ClusterPlacement: Sendable, Hashable, Codable {
    /// The Slurm partition (`--partition`); the cluster's default when nil.
    public var partition: String?
    /// Node features the node must have (`--constraint`, Slurm's syntax: `gpu&fast`).
    public var constraint: String?
    /// The account jobs are charged to (`--account`).
    public var account: String?
    /// The quality of service (`--qos`).
    public var qos: String?

    /// Describes a placement; every value defaults to the cluster's own.
    public init(partition: String? = nil, constraint: String? = nil, account: String? = nil, qos: String? = nil) {
        self.partition = partition
        self.constraint = constraint
        self.account = account
        self.qos = qos
    }
}
