/// Buffers a scheduling cycle fills, kept between cycles so their storage is reused.
struct ScoringScratch: Sendable {
    var feasible: [Int] = []
    var totals: [Int64] = []
    var raw: [Int64] = []
    var zonesSeen: [Bool] = []

    /// The feasible-node buffer, emptied, moved out so the caller owns it uniquely while it fills it.
    mutating func takeFeasible() -> [Int] {
        var buffer = feasible
        feasible = []
        buffer.removeAll(keepingCapacity: true)
        return buffer
    }
}
