import SkiffModel
import Synchronization

/// One write as the admission chain sees it, after the resource's strategy has prepared and validated it.
struct AdmissionRequest {
    enum Operation: Sendable { case create, update, delete }

    var operation: Operation
    var type: ResourceType
    var namespace: String?
    /// Empty for a create that still has to generate its name.
    var name: String
    var subresource: String?
    /// The object to be stored; nil for deletes.
    var object: JSON?
    /// The live object of an update.
    var old: JSON?
    var dryRun: Bool
    /// The writer; nil for the server's own writes (nothing to judge).
    var user: UserInfo? = nil
    var warnings: AdmissionWarnings? = nil
}

/// What admission steps have to say about one request beyond yes or no: warnings, which the handler sends as
/// `Warning: 299 - "…"` headers (kubectl prints them), and audit annotations, which go into the request's audit event
/// (Pod Security's `pod-security.kubernetes.io/audit-violations`).
public final class AdmissionWarnings: Sendable {
    private let texts = Mutex<[String]>([])
    private let notes = Mutex<[String: String]>([:])

    public init() {}

    public func add(_ text: String) { texts.withLock { if !$0.contains(text) { $0.append(text) } } }

    public var all: [String] { texts.withLock { $0 } }

    public func annotate(_ key: String, _ value: String) { notes.withLock { $0[key] = value } }

    public var annotations: [String: String] { notes.withLock { $0 } }
}

/// One validating step of the chain every write passes, in order, after its strategy (upstream's admission
/// plugins). `NamespaceLifecycle` is the first; RBAC, Pod Security and NodeRestriction join as further steps.
protocol AdmissionStep: Sendable {
    /// Throws to refuse the write; the registry is there for steps that must read other objects.
    func admit(_ request: AdmissionRequest, registry: ObjectRegistry) async throws(APIError)
}

extension ObjectRegistry {
    /// Runs the admission chain in order; the first refusal wins.
    func admit(_ request: AdmissionRequest) async throws(APIError) {
        for step in admission { try await step.admit(request, registry: self) }
    }
}
