package io.meshfed.xds.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.StringValue;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * A snapshot's parts (what each of an istiod's config sources carries): every derived snapshot's parts equal those
 * of a snapshot built from scratch with the same resources, parts no change falls in are shared as they are, and a
 * part's version moves exactly when its content does.
 */
class TypeSnapshotPartTest {
    private static final int COUNT = 7;

    private static Resource resource(String name, int content) {
        return Resource.pack(name, StringValue.of(name + "=" + content));
    }

    @Test
    void derivedPartsMatchPartsBuiltFromScratchOverRandomChanges() {
        Random random = new Random(7);
        List<Resource> initial = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            initial.add(resource("ns/svc-" + i, 0));
        }
        TypeSnapshot snapshot = TypeSnapshot.of(initial);
        for (int i = 0; i < COUNT; i++) {
            snapshot.part(COUNT, i); // split, so the next snapshots derive their parts
        }
        for (int round = 0; round < 300; round++) {
            List<Resource> put = new ArrayList<>();
            List<String> removed = new ArrayList<>();
            for (int i = random.nextInt(4); i >= 0; i--) {
                String name = "ns/svc-" + random.nextInt(400);
                if (random.nextInt(3) == 0) {
                    removed.add(name);
                } else {
                    put.add(resource(name, random.nextInt(5)));
                }
            }
            TypeSnapshot next = snapshot.with(put, removed);
            TypeSnapshot scratch = TypeSnapshot.of(new ArrayList<>(next.resources().values()));
            Set<Integer> touched = new HashSet<>();
            put.forEach(r -> touched.add(TypeSnapshot.partOf(r.name(), COUNT)));
            removed.forEach(n -> touched.add(TypeSnapshot.partOf(n, COUNT)));
            for (int i = 0; i < COUNT; i++) {
                TypeSnapshot.Part derived = next.part(COUNT, i);
                TypeSnapshot.Part whole = scratch.part(COUNT, i);
                assertEquals(names(whole.resources()), names(derived.resources()), "part " + i + " in round " + round);
                assertEquals(whole.resources(), derived.resources());
                assertEquals(whole.version(), derived.version());
                for (Resource r : derived.resources()) {
                    assertEquals(i, TypeSnapshot.partOf(r.name(), COUNT), r.name() + " is in part " + i);
                }
                TypeSnapshot.Part before = snapshot.part(COUNT, i);
                if (!touched.contains(i)) {
                    assertSame(before, derived, "part " + i + " untouched in round " + round + " is shared");
                } else if (before.resources().equals(derived.resources())) {
                    assertEquals(before.version(), derived.version()); // put back as it was
                } else {
                    assertNotEquals(before.version(), derived.version());
                }
            }
            snapshot = next;
        }
        int total = 0;
        for (int i = 0; i < COUNT; i++) {
            total += snapshot.part(COUNT, i).resources().size();
        }
        assertEquals(snapshot.resources().size(), total, "the parts cover the snapshot exactly");
    }

    @Test
    void aPartsVersionIsTheVersionOfAResponseCarryingThoseResources() {
        List<Resource> all = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            all.add(resource("ns/a-" + i, i));
        }
        TypeSnapshot snapshot = TypeSnapshot.of(all);
        assertEquals(snapshot.version(), TypeSnapshot.versionOf(new ArrayList<>(snapshot.resources().values())));
        for (int i = 0; i < 3; i++) {
            TypeSnapshot.Part part = snapshot.part(3, i);
            assertEquals(TypeSnapshot.versionOf(part.resources()), part.version());
            assertTrue(part.resources().size() > 5, "50 names spread over 3 parts");
        }
    }

    @Test
    void aPartsChunksHoldItsEntriesAndAreSharedWithAnotherSnapshotsEqualRun() {
        List<Resource> all = new ArrayList<>();
        for (int i = 0; i < 3000; i++) {
            all.add(resource("ns/c-" + i, i % 7));
        }
        TypeSnapshot one = TypeSnapshot.of(all);
        // another istiod's view: the same resources but one changed, as after an endpoint change elsewhere
        List<Resource> other = new ArrayList<>(all);
        other.set(1234, resource("ns/c-1234", 99));
        TypeSnapshot two = TypeSnapshot.of(other);
        int changedPart = TypeSnapshot.partOf("ns/c-1234", 4);
        for (int i = 0; i < 4; i++) {
            TypeSnapshot.Part part = one.part(4, i);
            java.io.ByteArrayOutputStream expected = new java.io.ByteArrayOutputStream();
            for (Resource r : part.resources()) {
                expected.writeBytes(r.sotwEntry().toByteArray());
            }
            java.io.ByteArrayOutputStream actual = new java.io.ByteArrayOutputStream();
            for (java.nio.ByteBuffer chunk : part.sotwChunks()) {
                byte[] b = new byte[chunk.remaining()];
                chunk.duplicate().get(b);
                actual.writeBytes(b);
            }
            assertTrue(java.util.Arrays.equals(expected.toByteArray(), actual.toByteArray()), "part " + i + "'s entries");
            assertTrue(part.sotwChunks().size() > 1, "750-odd resources make several chunks");
            List<java.nio.ByteBuffer> theirs = two.part(4, i).sotwChunks();
            long shared = part.sotwChunks().stream().filter(c -> theirs.stream().anyMatch(t -> t == c)).count();
            if (i == changedPart) {
                assertEquals(part.sotwChunks().size() - 1, shared, "all but the chunk holding the change are shared");
            } else {
                assertEquals(part.sotwChunks().size(), shared, "an unchanged part is made of the same chunks");
            }
        }
    }

    private static List<String> names(List<Resource> resources) {
        return resources.stream().map(Resource::name).toList();
    }
}
