import Foundation
@testable import OrderPayServer
import XCTest

/// `bench http`'s CPU account reads /proc: a process's time includes its children's (nginx's
/// workers are its master's children), and the machine's busy time grows with work.
final class MachineCPUTests: XCTestCase {
    func testCountsAProcessAndItsChildren() throws {
        let parent = Process()
        parent.executableURL = URL(fileURLWithPath: "/bin/sh")
        // The parent only waits; its child spins until the parent ends it.
        parent.arguments = ["-c", "sh -c 'while :; do :; done' & sleep 1.5; kill $!"]
        try parent.run()
        defer { parent.terminate() }
        let machineBefore = MachineCPU.machineTicks()
        Thread.sleep(forTimeInterval: 1.0)
        let ticks = MachineCPU.ticks(ofProcessAndChildren: parent.processIdentifier)
        let machineAfter = MachineCPU.machineTicks()
        // The child ran for about a second: at least a fifth of it on a busy machine.
        XCTAssertGreaterThan(Double(ticks.total) / MachineCPU.ticksPerSecond, 0.2, "ticks \(ticks)")
        XCTAssertGreaterThan(ticks.user, ticks.system, "a shell loop spins in user space: \(ticks)")
        XCTAssertGreaterThan(machineAfter.total, machineBefore.total)
        XCTAssertGreaterThanOrEqual(machineAfter.busy - machineBefore.busy, ticks.total / 2)
        XCTAssertEqual(MachineCPU.ticks(ofProcessAndChildren: 0), MachineCPU.Ticks())
        parent.waitUntilExit()
    }
}
