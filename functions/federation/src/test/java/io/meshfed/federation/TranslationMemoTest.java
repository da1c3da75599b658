package io.meshfed.federation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meshfed.model.ClusterCatalog;
import io.meshfed.model.ExportedService;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The memo's own table: lookups by service identity across growth, variants, and entries of dropped services. */
class TranslationMemoTest {
    private static final Duration GRACE = Duration.ofMinutes(5);

    @Test
    void everyRememberedServiceIsFoundAgainAfterTheTableGrew() {
        TranslationMemo memo = new TranslationMemo();
        ClusterCatalog catalog = Fixtures.syntheticCatalog(1, 2, 3_000, 1, 1, 0);
        ClusterView view = ClusterView.of(catalog, GRACE, Fixtures.T0);
        List<ServiceTranslation.Translated> first = new ArrayList<>();
        for (ExportedService s : catalog.services()) {
            first.add(memo.clusterSpecific(view, s, "net-0", "240.0.0.1", new SharedPieces()));
        }
        assertEquals(3_000, memo.size());
        for (int i = 0; i < first.size(); i++) {
            assertSame(first.get(i), memo.clusterSpecific(view, catalog.services().get(i), "net-0", "240.0.0.1",
                    new SharedPieces()), "service " + i);
        }
    }

    @Test
    void anEqualButDistinctServiceOrAnotherVariantIsTranslatedAgainAndEqual() {
        TranslationMemo memo = new TranslationMemo();
        ClusterCatalog catalog = Fixtures.syntheticCatalog(1, 2, 5, 1, 1, 0);
        ClusterCatalog reread = Fixtures.syntheticCatalog(1, 2, 5, 1, 1, 0);
        ClusterView view = ClusterView.of(catalog, GRACE, Fixtures.T0);
        ServiceTranslation.Translated direct = memo.clusterSpecific(view, catalog.services().get(0), "net-1",
                "240.0.0.1", new SharedPieces());
        ServiceTranslation.Translated again = memo.clusterSpecific(view, reread.services().get(0), "net-1",
                "240.0.0.1", new SharedPieces());
        assertNotSame(direct, again);
        assertEquals(direct, again);
        ServiceTranslation.Translated viaGateway = memo.clusterSpecific(view, catalog.services().get(0), "net-0",
                "240.0.0.1", new SharedPieces());
        assertTrue(!direct.equals(viaGateway), "another network relation is another variant");
        assertSame(direct, memo.clusterSpecific(view, catalog.services().get(0), "net-1", "240.0.0.1",
                new SharedPieces()));
    }

    @Test
    void entriesOfServicesNoCatalogHoldsAnyMoreAreDropped() throws InterruptedException {
        TranslationMemo memo = new TranslationMemo();
        ClusterCatalog kept = Fixtures.syntheticCatalog(1, 2, 10, 1, 1, 0);
        remember(memo, kept);
        remember(memo, Fixtures.syntheticCatalog(2, 2, 2_000, 1, 1, 0));
        for (int i = 0; i < 50 && memo.size() > kept.services().size(); i++) {
            System.gc();
            Thread.sleep(20);
        }
        assertEquals(kept.services().size(), memo.size());
    }

    private static void remember(TranslationMemo memo, ClusterCatalog catalog) {
        ClusterView view = ClusterView.of(catalog, GRACE, Fixtures.T0);
        for (ExportedService s : catalog.services()) {
            memo.clusterSpecific(view, s, "net-0", "240.0.0.1", new SharedPieces());
        }
    }
}
