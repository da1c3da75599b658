package io.meshfed.testsupport.peers;

import java.util.Optional;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestWatcher;

/**
 * Puts the peers' logs into the test report: when a test fails, the tail of every live peer's log (istiod,
 * kube-apiserver, etcd) is printed, which surefire keeps in the test's output; the whole logs stay in
 * {@code target/peer-logs/}.
 */
public final class PeerLogsOnFailure implements TestWatcher {
    @Override
    public void testFailed(ExtensionContext context, Throwable cause) {
        for (PeerProcess p : PeerProcess.live()) {
            System.out.println("[" + context.getDisplayName() + " failed] " + p.tail(80));
        }
    }

    @Override
    public void testAborted(ExtensionContext context, Throwable cause) {
        testFailed(context, cause);
    }

    @Override
    public void testDisabled(ExtensionContext context, Optional<String> reason) {
    }
}
