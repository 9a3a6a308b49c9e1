import EventHTTP
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

@Suite struct EventLoopTests {
    @Test func stopFromATimerEndsRun() throws {
        let loop = try EventLoop()
        let fired = Box(0)
        let timer = loop.makeTimer {
            fired.value += 1
            loop.stop()
        }
        timer.schedule(afterSeconds: 0.01)
        #expect(timer.isPending)
        try loop.run()
        #expect(fired.value == 1)
        #expect(!timer.isPending)
        #expect(!loop.isRunning)
    }

    @Test func stopBeforeRunMakesRunReturnAtOnce() throws {
        let loop = try EventLoop()
        let fired = Box(false)
        let timer = loop.makeTimer { fired.value = true }
        timer.schedule(afterSeconds: 5)
        loop.stop()
        try loop.run()
        #expect(!fired.value)
    }

    @Test func rescheduleReplacesTheDeadlineAndCancelWorks() throws {
        let harness = try LoopHarness()
        let log = Box<[String]>([])
        let late = harness.loop.makeTimer { log.value.append("late") }
        let cancelled = harness.loop.makeTimer { log.value.append("cancelled") }
        let marker = harness.loop.makeTimer { log.value.append("marker") }
        harness.start()
        defer { harness.stop() }
        harness.onLoop {
            late.schedule(afterSeconds: 0.01)
            late.schedule(afterSeconds: 0.3)   // replaces the 10 ms deadline
            marker.schedule(afterSeconds: 0.1)
            cancelled.schedule(afterSeconds: 0.05)
            cancelled.cancel()
            #expect(!cancelled.isPending)
            #expect(late.isPending)
        }
        #expect(harness.waitUntil { log.value.count == 2 })
        harness.onLoop {
            #expect(log.value == ["marker", "late"])
            #expect(!late.isPending)
        }
    }

    @Test func timerCanRescheduleItselfFromItsBody() throws {
        let loop = try EventLoop()
        let count = Box(0)
        let timerBox = Box<EventTimer?>(nil)
        let timer = loop.makeTimer {
            count.value += 1
            if count.value < 3 {
                timerBox.value?.schedule(afterSeconds: 0)
                #expect(timerBox.value?.isPending == true)
            } else {
                loop.stop()
            }
        }
        timerBox.value = timer
        timer.schedule(afterSeconds: 0)
        try loop.run()
        #expect(count.value == 3)
        timerBox.value = nil
    }

    @Test func deallocatingATimerCancelsIt() throws {
        let loop = try EventLoop()
        let fired = Box(false)
        do {
            let timer = loop.makeTimer { fired.value = true }
            timer.schedule(afterSeconds: 0.01)
        }
        let stopper = loop.makeTimer { loop.stop() }
        stopper.schedule(afterSeconds: 0.1)
        try loop.run()
        #expect(!fired.value)
    }

    @Test func triggerActivationsCollapseIntoOneRunAfterCallbacksAlreadyActive() throws {
        let loop = try EventLoop()
        let log = Box<[String]>([])
        let trigger = loop.makeTrigger { log.value.append("trigger") }
        // Two timers expiring in the same pass: whichever runs first activates the
        // trigger three times; the other timer was already active, so it runs before
        // the trigger, which runs once.
        let first = loop.makeTimer {
            log.value.append("timer")
            trigger.activate(); trigger.activate(); trigger.activate()
            #expect(trigger.isActivated)
        }
        let second = loop.makeTimer {
            log.value.append("timer")
            trigger.activate()
        }
        let stopper = loop.makeTimer { loop.stop() }
        first.schedule(afterSeconds: 0)
        second.schedule(afterSeconds: 0)
        stopper.schedule(afterSeconds: 0.2)
        try loop.run()
        #expect(log.value == ["timer", "timer", "trigger"])
        #expect(!trigger.isActivated)
    }

    @Test func triggerActivatedFromItsOwnBodyRunsAgain() throws {
        let loop = try EventLoop()
        let runs = Box(0)
        let triggerBox = Box<EventTrigger?>(nil)
        let trigger = loop.makeTrigger {
            runs.value += 1
            if runs.value < 3 { triggerBox.value?.activate() } else { loop.stop() }
        }
        triggerBox.value = trigger
        trigger.activate()
        try loop.run()
        #expect(runs.value == 3)
        triggerBox.value = nil
    }

    @Test func stopLetsCallbacksAlreadyActiveFinish() throws {
        let loop = try EventLoop()
        let log = Box<[String]>([])
        let trigger = loop.makeTrigger { log.value.append("trigger") }
        let timer = loop.makeTimer {
            trigger.activate()
            loop.stop()
            log.value.append("timer")
        }
        timer.schedule(afterSeconds: 0)
        try loop.run()
        #expect(log.value == ["timer", "trigger"])
    }

    @Test func runIsNotReentrant() throws {
        let loop = try EventLoop()
        let caught = Box<EventHTTPError?>(nil)
        let timer = loop.makeTimer {
            do { try loop.run() } catch let error as EventHTTPError { caught.value = error } catch {}
            loop.stop()
        }
        timer.schedule(afterSeconds: 0)
        try loop.run()
        #expect(caught.value == .loopAlreadyRunning)
    }

    @Test func monotonicClockAdvances() throws {
        let loop = try EventLoop()
        let a = loop.monotonicNow()
        usleep(2_000)
        let b = loop.monotonicNow()
        #expect(b > a)
    }

    @Test func sigpipeIsIgnored() throws {
        _ = try EventLoop()
        var fds: [Int32] = [0, 0]
        #expect(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &fds) == 0)
        Glibc.close(fds[1])
        let byte: [UInt8] = [1]
        // Without SIG_IGN this write would kill the test process.
        let result = byte.withUnsafeBytes { write(fds[0], $0.baseAddress, 1) }
        #expect(result == -1)
        #expect(errno == EPIPE)
        Glibc.close(fds[0])
    }
}

@Suite(.serialized) struct EventLoopSignalTests {
    @Test func signalHandlerRunsOnTheLoop() throws {
        let loop = try EventLoop()
        let received = Box(0)
        loop.onSignal(SIGUSR2) {
            received.value += 1
            loop.stop()
        }
        let watchdog = loop.makeTimer { loop.stop() }
        watchdog.schedule(afterSeconds: 10)
        // libevent's handler is installed now; the delivery is processed once run() starts.
        kill(getpid(), SIGUSR2)
        try loop.run()
        #expect(received.value == 1)
    }
}
