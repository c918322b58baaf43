import SkiffClient

/// What a controller watches: something that reports changes and knows when its first full picture is in.
/// `Informer` is the one every controller uses; tests hand in their own.
public protocol ControllerSource: Sendable {
    /// Reports changes until the task is cancelled.
    func run(onChange: Informer.Handler) async
    /// Returns once the source holds its first full list (or the task is cancelled).
    func waitUntilSynced() async
}

extension Informer: ControllerSource {}
