package io.metarec.backend.cpu;

import io.metarec.backend.Backend;
import io.metarec.backend.Buffer;
import io.metarec.backend.Indices;
import io.metarec.backend.MemoryScope;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The CPU backends' memory scopes ({@link HostScopes}): what is recycled, what is kept, what is checked. */
class HostScopesTest {
    private final Backend be = new VectorBackend();
    private HostScopes.Mode before;

    @BeforeEach void recycle() {
        before = HostScopes.mode();
        HostScopes.setMode(HostScopes.Mode.RECYCLE);
    }

    @AfterEach void restore() {
        HostScopes.setMode(before);
    }

    private static float[] array(Buffer b) { return HeapBuffer.of(b); }

    @Test void aClosedScopesArraysServeTheNextAllocationsOfTheirLength() {
        float[] first;
        try (MemoryScope s = be.openScope()) {
            first = array(be.allocate(1234));
        }
        try (MemoryScope s = be.openScope()) {
            assertSame(first, array(be.allocate(1234)));
            assertNotSame(first, array(be.allocate(1234)), "one array serves one buffer at a time");
            assertNotSame(first, array(be.allocate(99)));
        }
    }

    @Test void aBufferReadAfterItsArrayWasRecycledFailsNamingTheCause() {
        Buffer stale, released;
        try (MemoryScope s = be.openScope()) {
            stale = be.allocate(321);
            released = be.allocate(322);
            be.release(released);
            var e = assertThrows(IllegalStateException.class, () -> be.fill(released, 1f));
            assertTrue(e.getMessage().contains("after its memory scope closed"), e.getMessage());
        }
        var e = assertThrows(IllegalStateException.class, () -> array(stale));
        assertTrue(e.getMessage().contains("321 floats"), e.getMessage());
        try (MemoryScope s = be.openScope()) {
            Buffer next = be.allocate(321); // the stale buffer's array, under a buffer of its own
            be.fill(next, 2f);
            assertEquals(2f, array(next)[320]);
            assertEquals(next, new HeapBuffer(array(next)), "buffers over one array are equal");
        }
    }

    @Test void zerosAreZeroEvenWhenRecycled() {
        try (MemoryScope s = be.openScope()) {
            be.fill(be.allocate(64), 7f);
        }
        try (MemoryScope s = be.openScope()) {
            assertArrayEquals(new float[64], array(be.zeros(64)));
        }
    }

    @Test void keptBuffersOutliveTheirScopeAndMoveToTheEnclosingOne() {
        try (MemoryScope outer = be.openScope()) {
            Buffer kept;
            try (MemoryScope inner = be.openScope()) {
                kept = be.allocate(50);
                be.fill(kept, 3f);
                inner.keep(kept);
            }
            try (MemoryScope again = be.openScope()) {
                assertNotSame(array(kept), array(be.allocate(50)), "a kept buffer is not handed out again");
            }
            assertEquals(3f, array(kept)[49]);
        }
        // The outer scope owned it and has closed: now it is free.
        try (MemoryScope s = be.openScope()) {
            assertEquals(50, array(be.allocate(50)).length);
        }
        try (MemoryScope outermost = be.openScope()) {
            Buffer b = be.allocate(77);
            outermost.keep(b);
            HostScopes.setMode(HostScopes.Mode.CHECK);
            outermost.close();
            HostScopes.setMode(HostScopes.Mode.RECYCLE);
            assertEquals(0f, array(b)[0], "kept by an outermost scope: owned by none, never recycled");
        }
    }

    @Test void buffersOutsideEveryScopeAndOptimizerResultsBelongToNoScope() {
        HostScopes.setMode(HostScopes.Mode.CHECK);
        Buffer loose = be.allocate(8), table;
        try (MemoryScope s = be.openScope()) {
            Buffer base = be.zeros(12), block = be.upload(new float[] {1, 2, 3});
            table = be.withRows(base, 3, Indices.wrap(new int[] {2}), block);
            be.fill(loose, 1f);
        }
        assertArrayEquals(new float[] {0, 0, 0, 0, 0, 0, 1, 2, 3, 0, 0, 0}, array(table));
        assertEquals(1f, array(loose)[7]);
    }

    @Test void checkModeFillsAClosedScopesArraysWithNanAndNeverReusesThem() {
        HostScopes.setMode(HostScopes.Mode.CHECK);
        float[] a;
        try (MemoryScope s = be.openScope()) {
            a = array(be.allocate(16));
        }
        assertTrue(Float.isNaN(a[0]) && Float.isNaN(a[15]));
        try (MemoryScope s = be.openScope()) {
            assertNotSame(a, array(be.allocate(16)));
        }
    }

    @Test void offModeHasNoScopes() {
        HostScopes.setMode(HostScopes.Mode.OFF);
        assertSame(MemoryScope.NONE, be.openScope());
    }

    @Test void aServerGetsRecyclingUnlessTheUserChoseAMode() {
        assertEquals(HostScopes.Mode.RECYCLE, HostScopes.preferred(HostScopes.Mode.OFF, false));
        assertEquals(HostScopes.Mode.CHECK, HostScopes.preferred(HostScopes.Mode.CHECK, true));
        assertEquals(HostScopes.Mode.OFF, HostScopes.preferred(HostScopes.Mode.OFF, true));
        // this JVM: the suite chooses check (-Dmetarec.hostScopes), which a server must keep
        HostScopes.setMode(HostScopes.Mode.CHECK);
        io.metarec.backend.Backends.preferRecycledHostMemory();
        assertEquals(System.getProperty("metarec.hostScopes") != null ? HostScopes.Mode.CHECK : HostScopes.Mode.RECYCLE, HostScopes.mode());
    }

    @Test void scopesCloseInnermostFirst() {
        MemoryScope outer = be.openScope(), inner = be.openScope();
        assertThrows(IllegalStateException.class, outer::close);
        inner.close();
        outer.close();
        outer.close(); // idempotent
        assertEquals(0, HostScopes.openScopes(), "the refused close left the scope open, the right one closed it");
    }

    @Test void theFreeListsAreBounded() {
        int big = (int) (HostScopes.MAX_POOLED_FLOATS / 3);
        try (MemoryScope s = be.openScope()) {
            for (int i = 0; i < 5; i++) be.allocate(big);
        }
        assertTrue(HostScopes.pooledFloats() <= HostScopes.MAX_POOLED_FLOATS, HostScopes.pooledFloats() + " floats pooled");
        HostScopes.dropFreeLists();
        assertEquals(0, HostScopes.pooledFloats());
    }

    @Test void fullFreeListsLeaveFurtherArraysToTheCollector() {
        HostScopes.dropFreeLists();
        int half = (int) (HostScopes.MAX_POOLED_FLOATS / 2);
        float[] a, b, c;
        try (MemoryScope s = be.openScope()) {
            a = array(be.allocate(half));
            b = array(be.allocate(half - 1));
            c = array(be.allocate(half - 2)); // over the bound: not kept
        }
        try (MemoryScope s = be.openScope()) {
            float[][] got = {array(be.allocate(half)), array(be.allocate(half - 1)), array(be.allocate(half - 2))};
            assertEquals(2, java.util.stream.Stream.of(a, b, c).filter(x -> x == got[0] || x == got[1] || x == got[2]).count(),
                    "two of the three arrays were kept");
        }
        HostScopes.dropFreeLists();
    }

    @Test void releaseRecyclesABufferAScopeOwnsAtOnceAndLeavesAnUnscopedOneAlone() {
        Buffer loose = be.allocate(33);
        try (MemoryScope s = be.openScope()) {
            Buffer b = be.allocate(33);
            float[] a = array(b);
            be.release(b);
            assertSame(a, array(be.allocate(33)));
            be.release(loose);
            assertNotSame(array(loose), array(be.allocate(33)));
        }
    }

    @Test void theCheckModeFillsArraysOfUnspecifiedContentsWithNan() {
        HostScopes.setMode(HostScopes.Mode.CHECK);
        for (boolean scoped : new boolean[] {false, true}) {
            try (MemoryScope s = scoped ? be.openScope() : MemoryScope.NONE) {
                float[] unspecified = array(be.allocate(1000)), zeros = array(be.zeros(1000));
                for (int i = 0; i < 1000; i++) {
                    assertTrue(Float.isNaN(unspecified[i]), "allocate: a kernel that reads before it writes shows (scoped " + scoped + ")");
                    assertEquals(0f, zeros[i]);
                }
            }
        }
    }

    @Test void aRepeatingScopeHandsTheNextOneTheArraysItDidNotKeepInAllocationOrder() {
        HostScopes.setMode(HostScopes.Mode.OFF);
        float[] first, second;
        Buffer kept, stale;
        try (MemoryScope s = be.openRepeatingScope()) {
            first = array(be.allocate(100));
            kept = be.allocate(50);
            second = array(stale = be.allocate(30));
            be.fill(kept, 4f);
            s.keep(kept);
            be.fill(stale, 9f);
        }
        assertEquals(4f, array(kept)[49], "kept: it lives on");
        var e = assertThrows(IllegalStateException.class, () -> array(stale));
        assertTrue(e.getMessage().contains("after its memory scope closed"), e.getMessage());
        try (MemoryScope s = be.openRepeatingScope()) {
            assertSame(first, array(be.allocate(100)), "the first allocation gets the first array");
            assertNotSame(array(kept), array(be.allocate(50)), "a kept array is never handed out again");
            float[] z = array(be.zeros(30));
            assertSame(second, z, "the third allocation gets the third array");
            assertArrayEquals(new float[30], z, "zeroed when zeros are asked for");
            assertNotSame(second, array(be.allocate(30)), "one array serves one buffer at a time");
            assertEquals(7, array(be.allocate(7)).length);
        }
        try (MemoryScope s = be.openRepeatingScope()) {
            assertEquals(64, array(be.allocate(64)).length, "another length: a fresh array, and the slot takes it");
        }
    }

    @Test void aRepeatingScopeIsAPlainScopeInTheOtherModesAndWhenArenasAreOff() {
        HostScopes.setMode(HostScopes.Mode.CHECK);
        float[] a;
        try (MemoryScope s = be.openRepeatingScope()) {
            a = array(be.allocate(16));
        }
        assertTrue(Float.isNaN(a[0]), "check mode: NaN once closed");
        HostScopes.setMode(HostScopes.Mode.OFF);
        boolean before = HostScopes.taskArenas();
        HostScopes.setTaskArenas(false);
        try {
            assertSame(MemoryScope.NONE, be.openRepeatingScope());
        } finally {
            HostScopes.setTaskArenas(before);
        }
    }

    @Test void insideAnotherScopeARepeatingScopesArenaRestsAndTakesUpWhereItWas() {
        HostScopes.setMode(HostScopes.Mode.OFF);
        for (boolean repeating : new boolean[] {true, false}) {
            float[] first, inside, last;
            try (MemoryScope s = be.openRepeatingScope()) {
                first = array(be.allocate(64));
                try (MemoryScope inner = repeating ? be.openRepeatingScope() : be.openScope()) {
                    inside = array(be.allocate(64)); // the collector's: another task run on this thread while it waits, say
                }
                last = array(be.allocate(32));
            }
            try (MemoryScope s = be.openRepeatingScope()) {
                assertSame(first, array(be.allocate(64)));
                assertSame(last, array(be.allocate(32)), "the nested allocation took no slot (nested " + (repeating ? "repeating" : "plain") + ")");
                assertNotSame(inside, array(be.allocate(64)));
            }
        }
    }
}
