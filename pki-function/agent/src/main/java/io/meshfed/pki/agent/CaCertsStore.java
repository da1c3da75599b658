package io.meshfed.pki.agent;

import java.util.Optional;

/**
 * Where the agent keeps Istio's plug-in CA material. A write replaces all four files at once: a reader (istiod,
 * or the agent after a restart) sees the previous complete set or the new complete set, never a mix.
 */
public interface CaCertsStore {

    /** The current material, empty when none exists or it lacks one of the four files. */
    Optional<CaCerts> read();

    void write(CaCerts caCerts);
}
