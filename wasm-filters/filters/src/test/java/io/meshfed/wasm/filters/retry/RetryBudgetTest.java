package io.meshfed.wasm.filters.retry;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.meshfed.wasm.filters.retry.RetryBudget.Decision;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The budget arithmetic and its sliding window, driven with explicit times. */
class RetryBudgetTest {
    static final long S = 1_000_000_000L;

    byte[] state;

    Decision at(RetryBudget budget, double seconds, boolean retry) {
        byte[] next = new byte[RetryBudget.STATE_BYTES];
        Decision d = budget.apply(state, (long) (seconds * S), retry, next);
        if (d != Decision.RETRY_REFUSED) {
            state = next;
        }
        return d;
    }

    @Test
    void ratioOfOriginalsPlusFloorWithinTheWindow() {
        RetryBudget budget = new RetryBudget(0.2, 0.1, 10); // floor: 1 retry per 10 s window
        List<Decision> seen = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            at(budget, 100 + i * 0.1, false);
        }
        for (int i = 0; i < 4; i++) {
            seen.add(at(budget, 101.5, true));
        }
        assertEquals(List.of(Decision.RETRY_ALLOWED, Decision.RETRY_ALLOWED, Decision.RETRY_ALLOWED,
                Decision.RETRY_REFUSED), seen);
    }

    @Test
    void oldBucketsLeaveTheWindow() {
        RetryBudget budget = new RetryBudget(0.5, 0, 10);
        for (int i = 0; i < 4; i++) {
            at(budget, 50, false);
        }
        assertEquals(Decision.RETRY_ALLOWED, at(budget, 55, true));
        assertEquals(Decision.RETRY_ALLOWED, at(budget, 59.9, true));
        assertEquals(Decision.RETRY_REFUSED, at(budget, 59.9, true));
        // At 60.5 s the originals from 50 s (bucket [50, 51)) have left the 10 s window, and so has nothing else.
        assertEquals(Decision.RETRY_REFUSED, at(budget, 60.5, true));
        at(budget, 61, false);
        at(budget, 61, false);
        // Retries from 55 and 59.9 s are still in the window: 2 originals allow 1 retry, 2 are already spent.
        assertEquals(Decision.RETRY_REFUSED, at(budget, 62, true));
        // By 70 s only the 61 s originals remain: one retry fits.
        assertEquals(Decision.RETRY_ALLOWED, at(budget, 70, true));
    }

    @Test
    void emptyOrForeignStateStartsFresh() {
        RetryBudget budget = new RetryBudget(1, 0, 10);
        state = new byte[3];
        assertEquals(Decision.RETRY_REFUSED, at(budget, 1, true));
        assertEquals(Decision.ORIGINAL, at(budget, 1, false));
        assertEquals(Decision.RETRY_ALLOWED, at(budget, 1, true));
    }
}
