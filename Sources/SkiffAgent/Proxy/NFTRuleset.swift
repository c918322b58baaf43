// Design notes. The service proxy programs nftables, as kube-proxy's nftables mode does, rather than iptables:
// a script given to `nft -f` is one kernel transaction, so the node never sees half a ruleset, and a restart
// replaces the whole table atomically. Services are found through verdict maps keyed by
// `address . protocol . port` (and `protocol . port` for node ports): one hashed lookup per packet however many
// Services exist, instead of a linear walk over a rule per Service port. Because every Service port owns its map
// elements and its own chains (service, external, local, one per endpoint), a change to one Service touches only
// those: the update script flushes and refills the changed chains and adds or deletes map elements, a few lines
// for one endpoint change. Established connections survive any of this: their NAT is recorded in conntrack when
// the first packet passes, and only new connections consult the rules.
//
// The model here is plain data (`NFTRuleset`): chains with rule lines, verdict maps with elements, affinity sets.
// Rendering a full or incremental script is a pure function of it; running `nft` is the caller's job.

/// An nftables table as data: base chains (with their hooks), regular chains and their rules, verdict maps with
/// their elements, and declared sets. Built from a `ServiceProxyState` by `init(state:)` and rendered by
/// `NFTScript`; comparing two rulesets gives the incremental update between them.
public struct NFTRuleset: Sendable, Equatable {
    /// The table every skiff proxy rule lives in (family `ip`).
    public static let table = "skiff-proxy"

    /// How a base chain attaches to the packet path.
    public struct Hook: Sendable, Equatable {
        /// `nat` or `filter`.
        public var type: String
        /// `prerouting`, `input`, `forward`, `output` or `postrouting`.
        public var hook: String
        /// A number or a standard name (`dstnat`, `srcnat`).
        public var priority: String

        public init(type: String, hook: String, priority: String) {
            self.type = type
            self.hook = hook
            self.priority = priority
        }
    }

    /// A verdict map: keys of `keyType` to verdicts (`goto chain`, `drop`).
    public struct VerdictMap: Sendable, Equatable {
        /// The nft key type, e.g. `ipv4_addr . inet_proto . inet_service`.
        public var keyType: String
        /// Key text to verdict text, e.g. `10.43.0.20 . tcp . 80` to `goto service-…`.
        public var elements: [String: String]

        public init(keyType: String, elements: [String: String] = [:]) {
            self.keyType = keyType
            self.elements = elements
        }
    }

    /// A named set declared without elements (the kernel fills it, as for session affinity).
    public struct SetDeclaration: Sendable, Equatable {
        public var type: String
        public var flags: [String]
        /// The element timeout in seconds, if any.
        public var timeout: Int?

        public init(type: String, flags: [String] = [], timeout: Int? = nil) {
            self.type = type
            self.flags = flags
            self.timeout = timeout
        }
    }

    /// The hooked chains by name; their rules are in `chains` like any other chain's.
    public var baseChains: [String: Hook]
    /// Every chain's rules by chain name, base chains included. Rules are nft rule text without the
    /// `add rule ip <table> <chain>` prefix.
    public var chains: [String: [String]]
    public var maps: [String: VerdictMap]
    public var sets: [String: SetDeclaration]

    public init(
        baseChains: [String: Hook] = [:], chains: [String: [String]] = [:], maps: [String: VerdictMap] = [:],
        sets: [String: SetDeclaration] = [:]
    ) {
        self.baseChains = baseChains
        self.chains = chains
        self.maps = maps
        self.sets = sets
    }
}
