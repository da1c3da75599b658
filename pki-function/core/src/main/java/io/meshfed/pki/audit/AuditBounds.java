package io.meshfed.pki.audit;

/** The bound every audit store applies to the rejection records it keeps per cluster. */
final class AuditBounds {
    private AuditBounds() {
    }

    static int checkKept(int rejectionsKept) {
        if (rejectionsKept < 1) {
            throw new IllegalArgumentException("the number of rejection records kept per cluster must be at least "
                    + "1, got " + rejectionsKept);
        }
        return rejectionsKept;
    }
}
