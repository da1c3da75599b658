package io.meshfed.pki.ca;

import io.meshfed.store.ConcurrentChangeException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Saves started at once, one thread each, all from the same read: how many landed and how many were refused with
 * {@link ConcurrentChangeException}. Any other failure of a save fails the test.
 */
record RacingSaves(int landed, int refused) {

    /** Each racer saves its state at {@code version} of the store it was given. */
    record Racer(CaStore store, CaState state) {
    }

    static RacingSaves run(List<Racer> racers, String version) throws InterruptedException {
        CountDownLatch go = new CountDownLatch(1);
        AtomicInteger landed = new AtomicInteger();
        AtomicInteger refused = new AtomicInteger();
        List<Throwable> failures = java.util.Collections.synchronizedList(new ArrayList<>());
        List<Thread> threads = new ArrayList<>();
        for (Racer racer : racers) {
            Thread t = new Thread(() -> {
                try {
                    go.await();
                    racer.store().save(racer.state(), version);
                    landed.incrementAndGet();
                } catch (ConcurrentChangeException e) {
                    refused.incrementAndGet();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } catch (RuntimeException | Error e) {
                    failures.add(e);
                }
            });
            t.start();
            threads.add(t);
        }
        go.countDown();
        for (Thread t : threads) {
            t.join(60_000);
        }
        if (!failures.isEmpty()) {
            throw new AssertionError("a racing save failed otherwise than with a conflict", failures.get(0));
        }
        return new RacingSaves(landed.get(), refused.get());
    }
}
