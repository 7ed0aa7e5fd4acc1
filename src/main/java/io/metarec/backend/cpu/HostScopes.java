package io.metarec.backend.cpu;

import io.metarec.backend.Buffer;
import io.metarec.backend.MemoryScope;

import java.lang.ref.Reference;
import java.lang.ref.ReferenceQueue;
import java.lang.ref.SoftReference;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.WeakHashMap;

/**
 * Memory scopes for the CPU backends, optionally recycling the arrays a scope's buffers used
 * ({@code -Dmetarec.hostScopes=recycle}; the default, {@code off}, leaves memory to the collector,
 * except in a server, which asks for recycling: {@link #preferRecycling}, and in the repeating
 * scopes a meta-step runs its tasks in, each handing the next its arrays: {@link #openRepeating}).
 *
 * <p>A per-task meta-step allocates the same few hundred arrays for every task (10 MB per task at
 * support 100, five inner steps; 330 MB per meta-step of 32 tasks), all dead once the task's
 * gradients are kept. With recycling, a buffer {@link #allocate allocated} while a scope is open on
 * the thread belongs to that scope, and at {@link Scope#close} every buffer it still owns goes to
 * the free list for arrays of that length, where the next allocation of that length finds it. The
 * contract is the device backend's ({@link MemoryScope}): what must outlive a scope is
 * {@link Scope#keep kept}; optimizer results ({@code adamStep}, {@code sgdStep}, {@code withRows})
 * and uploads are allocated outside every scope (a host cache that must outlive the request
 * building it is an upload). {@link io.metarec.backend.Backend#release}
 * recycles only a buffer an open scope of the thread owns (a gradient sum once added); an unscoped
 * one is left to the collector, because host snapshots share arrays with the parameters they copy
 * and only a scope knows its buffers' lives.
 *
 * <p>When it pays (docs/benchmarks.md, "Recycled host scopes measured again"): where every task
 * has the same shape. A stacked MeLU step at (20, 1) runs 1.43× the steps per CPU-second with it,
 * (100, 1) 1.13×, per task 1.09–1.17× (one thread; three interleaved pairs), the serving request's
 * median falls 13%, and the (100, 5) step's peak RSS falls below PyTorch's once the heap starts
 * small (the launcher's {@code -Xms}). Where tasks differ in size it does not: the demo (MeLU
 * training with varied support sizes) took the same time and peaked at 1,170–1,186 MiB against
 * 833–856 off (recycled arrays outlive young collections and age into G1's old generation, which
 * then grows). Hence off by default. (Free lists per thread with least-recently-used eviction,
 * tried first, made training on a million ratings peak at 1.3–1.4 GiB instead of 0.6–0.9: the
 * engine's pool starts extra threads while a worker waits, each with its own lists.)
 *
 * <p>The free lists are shared by the threads, bounded ({@link #MAX_POOLED_FLOATS}; beyond it
 * freed arrays go to the collector) and held softly: the collector takes pooled arrays back before
 * it would run out of memory, so a job runs in the heap it runs in without recycling (held
 * strongly, an eighth of a 30 MiB heap made a job its estimate fits run out: MemoryCheckProcessTest).
 * With {@code -Dmetarec.hostScopes=check} a closed scope's
 * arrays are filled with NaN and never reused, so a read after the scope closed shows as NaN
 * instead of another task's numbers, and a new array of unspecified contents (not {@code zeros})
 * starts as NaN, so a kernel that reads its output before writing it shows too: the test suite
 * runs this way, so every CPU path keeps the contracts recycling (and the device backend, whose
 * buffers are neither zeroed nor kept apart) rely on.
 */
public final class HostScopes {
    /**
     * Floats the free lists keep at most: 64 MiB, or an eighth of a smaller heap's maximum, so
     * recycling never holds on to memory a job needs.
     */
    static final long MAX_POOLED_FLOATS = Math.min(16L << 20, Runtime.getRuntime().maxMemory() / 4 / 8);

    /** What a closed scope does with its arrays. */
    public enum Mode {
        /** Reuses them (an option: see the class comment for when it pays). */
        RECYCLE,
        /** Fills them with NaN and drops them: a read after the scope shows (the test suite's mode). */
        CHECK,
        /** Scopes are {@link MemoryScope#NONE}: the collector's job (the default). */
        OFF
    }

    /** Whether the user chose the mode ({@code -Dmetarec.hostScopes}); then {@link #preferRecycling} leaves it. */
    private static final boolean CHOSEN = System.getProperty("metarec.hostScopes") != null;
    private static volatile Mode mode = parse(System.getProperty("metarec.hostScopes", "off"));

    /** The mode scopes opened from now on use. */
    public static Mode mode() { return mode; }

    /** Sets the mode of scopes opened from now on (tests and benchmarks; open scopes keep theirs). */
    public static void setMode(Mode m) { mode = java.util.Objects.requireNonNull(m); }

    /**
     * Recycles from now on, unless the user chose a mode: for a process whose scopes repeat one
     * shape (a server's requests: the same catalogue product every time), where recycling keeps
     * young collections rare (docs/benchmarks.md, "Serving recycles").
     */
    public static void preferRecycling() { mode = preferred(mode, CHOSEN); }

    /** The mode {@link #preferRecycling} leaves: the current one when it was chosen, else RECYCLE. */
    static Mode preferred(Mode current, boolean chosen) { return chosen ? current : Mode.RECYCLE; }

    private static Mode parse(String s) {
        return switch (s.trim().toLowerCase(java.util.Locale.ROOT)) {
            case "recycle", "on" -> Mode.RECYCLE;
            case "check" -> Mode.CHECK;
            case "off", "" -> Mode.OFF;
            default -> throw new IllegalArgumentException("-Dmetarec.hostScopes: unknown mode '" + s + "'; valid: recycle, check, off");
        };
    }

    private static final ThreadLocal<State> STATE = ThreadLocal.withInitial(State::new);

    /** One thread's open scopes, innermost last. */
    private static final class State {
        final ArrayList<Scope> open = new ArrayList<>();
        /** The open repeating scope whose arena serves this thread's allocations, if any. */
        ArenaScope arena;
        /**
         * The arrays the last repeating scope allocated and did not keep, in allocation order: held
         * softly between scopes (one reference for them all), so that the collector takes them back
         * before it would run out of memory and the arenas never make a job need a larger heap.
         */
        SoftReference<Slots> slots = new SoftReference<>(null);
    }

    /** A thread's slots and the floats they hold. */
    private static final class Slots {
        final ArrayList<float[]> arrays = new ArrayList<>();
        long floats;
    }

    /** Whether repeating scopes reuse arrays ({@code -Dmetarec.taskArena}, default on). */
    private static volatile boolean arenas = !"false".equals(System.getProperty("metarec.taskArena"));

    /** Whether repeating scopes opened from now on reuse arrays (see {@link #openRepeating}). */
    public static boolean taskArenas() { return arenas; }

    /** Sets whether repeating scopes opened from now on reuse arrays (tests and benchmarks). */
    public static void setTaskArenas(boolean on) { arenas = on; }

    /** Floats a thread's arena keeps between repeating scopes at most: 32 MiB, or a sixteenth of a smaller heap's maximum. */
    static final long MAX_SLOT_FLOATS = Math.min(8L << 20, Runtime.getRuntime().maxMemory() / 4 / 16);

    /**
     * A repeating scope ({@link io.metarec.backend.Backend#openRepeatingScope}): without recycling
     * (the default), a scope whose i-th allocation gets the i-th array the previous repeating scope
     * of this thread allocated and did not keep, when its length matches. A meta-step's tasks run
     * the same graph, so the same sequence of allocations: the weight-shaped arrays (a layer's
     * gradient, its fast weights) match from task to task whatever the support's size. No lock and
     * no map per allocation: an index and a length check. In the other modes (or with
     * {@code -Dmetarec.taskArena=false}) it is a plain scope; one opened while another's arena serves
     * the thread suspends that arena instead ({@link Suspension}: two scopes never hand out the same
     * slots). At most {@link #MAX_SLOT_FLOATS} stay in a thread's slots between scopes.
     */
    static MemoryScope openRepeating() {
        Mode m = mode;
        if (m != Mode.OFF || !arenas) return open();
        State s = STATE.get();
        if (s.arena != null) return new Suspension(s);
        return s.arena = new ArenaScope(s);
    }

    /**
     * A scope opened while a repeating scope's arena serves this thread, recycling off: until it
     * closes, allocations are the collector's again. Work nested in a task's scope — or another
     * task the pool runs on this thread while it waits — then never takes slots the task's scope
     * hands out, nor leaves arrays there that must outlive it.
     */
    private static final class Suspension implements MemoryScope {
        private final State state;
        private final ArenaScope suspended;
        private boolean closed;

        Suspension(State state) {
            this.state = state;
            this.suspended = state.arena;
            state.arena = null;
        }

        @Override public void keep(Buffer... buffers) {
            if (closed) throw new IllegalStateException("keep on a closed memory scope");
        }

        @Override public void close() {
            if (closed) return;
            if (state.arena != null) throw new IllegalStateException("memory scopes must close innermost first (and on the thread that opened them)");
            closed = true;
            state.arena = suspended;
        }
    }

    /** A repeating scope's arena: hands out the thread's slots in allocation order (see {@link #openRepeating}). */
    private static final class ArenaScope implements MemoryScope {
        private final State state;
        /** The thread's slots, held strongly while the scope is open. */
        private final Slots slots;
        /** The buffers handed out, by allocation index; null where the array is not in a slot (the collector's). */
        private final ArrayList<HeapBuffer> handed = new ArrayList<>();
        private boolean closed;

        ArenaScope(State state) {
            this.state = state;
            Slots s = state.slots.get();
            if (s == null) state.slots = new SoftReference<>(s = new Slots()); // first, or taken back by the collector
            this.slots = s;
        }

        HeapBuffer allocate(int length, boolean zero) {
            int i = handed.size();
            ArrayList<float[]> arrays = slots.arrays;
            float[] a = i < arrays.size() ? arrays.get(i) : null;
            if (a != null && a.length == length) {
                if (zero) Arrays.fill(a, 0f);
            } else {
                float[] old = a;
                a = new float[length];
                long floats = slots.floats - (old == null ? 0 : old.length) + length;
                if (floats <= MAX_SLOT_FLOATS) {
                    while (arrays.size() <= i) arrays.add(null);
                    arrays.set(i, a);
                    slots.floats = floats;
                }
            }
            HeapBuffer b = new HeapBuffer(a);
            boolean slotted = i < arrays.size() && arrays.get(i) == a;
            if (slotted) b.arenaSlot = i;
            handed.add(slotted ? b : null); // one entry per allocation (the index); only slotted buffers are held
            return b;
        }

        @Override public void keep(Buffer... buffers) {
            if (closed) throw new IllegalStateException("keep on a closed memory scope");
            for (Buffer buffer : buffers) {
                if (buffer instanceof HeapBuffer h && h.arenaSlot >= 0 && h.arenaSlot < handed.size() && handed.get(h.arenaSlot) == h) {
                    slots.arrays.set(h.arenaSlot, null); // it lives on: the next scope must not get its array
                    slots.floats -= h.data().length;
                    h.arenaSlot = -1;
                }
            }
        }

        @Override public void close() {
            if (closed) return;
            if (state.arena != this) throw new IllegalStateException("memory scopes must close on the thread that opened them");
            closed = true;
            state.arena = null;
            for (HeapBuffer b : handed) if (b != null && b.arenaSlot >= 0) b.markRecycled(); // its array serves the next scope
            handed.clear();
        }
    }

    /**
     * The free lists, by array length; once they hold {@link #MAX_POOLED_FLOATS}, freed arrays go
     * to the collector instead (evicting older ones, tried first, only turned arrays that had aged
     * into G1's old generation into garbage there). One set for the process, not one per thread:
     * the engine's pool starts extra threads while a worker waits, and lists per thread multiplied
     * the bound by their number.
     */
    private static final class FreeLists {
        /**
         * Pooled arrays are held softly: the collector clears them before it would throw
         * OutOfMemoryError, so recycling never makes a job need more heap than it does without
         * (MemoryCheckProcessTest runs jobs in the heap their estimate names).
         */
        private static final class Pooled extends SoftReference<float[]> {
            final int length;

            Pooled(float[] a, ReferenceQueue<float[]> q) {
                super(a, q);
                length = a.length;
            }
        }

        private final HashMap<Integer, ArrayDeque<Pooled>> free = new HashMap<>();
        /** Where the collector puts the pooled arrays it cleared, so that {@link #pooled} forgets them. */
        private final ReferenceQueue<float[]> cleared = new ReferenceQueue<>();
        private long pooled;

        synchronized float[] take(int length) {
            forgetCleared();
            ArrayDeque<Pooled> q = free.get(length);
            if (q == null) return null;
            for (Pooled r; (r = q.pollLast()) != null; ) { // the most recently freed: likeliest still in cache
                float[] a = r.get();
                if (a == null) continue; // cleared: the queue accounts for it
                r.clear(); // never enqueued now: counted out here
                pooled -= length;
                return a;
            }
            return null;
        }

        synchronized void give(Iterable<float[]> arrays) {
            forgetCleared();
            for (float[] a : arrays) {
                if (pooled + a.length > MAX_POOLED_FLOATS) continue; // full: this one is the collector's
                free.computeIfAbsent(a.length, k -> new ArrayDeque<>()).addLast(new Pooled(a, cleared));
                pooled += a.length;
            }
        }

        private void forgetCleared() {
            for (Reference<? extends float[]> r; (r = cleared.poll()) != null; ) pooled -= ((Pooled) r).length;
        }

        synchronized void clear() {
            for (ArrayDeque<Pooled> q : free.values()) for (Pooled r : q) r.clear();
            free.clear();
            forgetCleared();
            pooled = 0;
        }

        synchronized long pooled() {
            forgetCleared();
            return pooled;
        }
    }

    private static final FreeLists FREE = new FreeLists();

    private HostScopes() {}

    /**
     * Opens a scope on this thread; with recycling off {@link MemoryScope#NONE}, or, while a repeating
     * scope's arena serves the thread, a {@link Suspension} of it.
     */
    static MemoryScope open() {
        Mode m = mode;
        if (m == Mode.OFF) {
            State s = STATE.get();
            return s.arena == null ? MemoryScope.NONE : new Suspension(s);
        }
        State s = STATE.get();
        Scope scope = new Scope(s, m);
        s.open.add(scope);
        return scope;
    }

    /**
     * A buffer of {@code length} floats, zeroed if {@code zero}: owned by this thread's innermost scope
     * if one is open, or, recycling off, from the arena of the repeating scope that serves the thread.
     */
    static HeapBuffer allocate(int length, boolean zero) {
        if (length < 0) throw new NegativeArraySizeException("buffer length " + length);
        Mode m = mode;
        if (length == 0) return new HeapBuffer(new float[0]);
        if (m == Mode.OFF) {
            ArenaScope arena = STATE.get().arena;
            return arena != null ? arena.allocate(length, zero) : new HeapBuffer(new float[length]);
        }
        State s = STATE.get();
        if (s.open.isEmpty()) return new HeapBuffer(fresh(length, zero, m));
        float[] a = FREE.take(length);
        if (a == null) a = fresh(length, zero, m);
        else if (zero) Arrays.fill(a, 0f);
        HeapBuffer b = new HeapBuffer(a);
        s.open.get(s.open.size() - 1).owned.put(b, Boolean.TRUE);
        return b;
    }

    /**
     * A new array; in the check mode (the test suite's), one whose contents are unspecified
     * ({@link io.metarec.backend.Backend#allocate}) is filled with NaN, so that a kernel reading an
     * element of its output before writing it shows in the tests instead of reading the JVM's zeros
     * (a device buffer has no such zeros).
     */
    private static float[] fresh(int length, boolean zero, Mode m) {
        float[] a = new float[length];
        if (!zero && m == Mode.CHECK) Arrays.fill(a, Float.NaN);
        return a;
    }

    /**
     * Frees a buffer an open scope of this thread owns now, for the next allocation of its length
     * (the caller guarantees nothing reads it again: a gradient sum once added); any other buffer
     * (unscoped: parameters, which host snapshots share) is left to the collector.
     */
    static void release(Buffer buffer) {
        if (!(buffer instanceof HeapBuffer h)) return;
        State s = STATE.get();
        for (int i = s.open.size() - 1; i >= 0; i--) {
            Scope scope = s.open.get(i);
            if (scope.owned.remove(h) != null) {
                scope.free(h);
                return;
            }
        }
    }

    /** Empties the free lists (their arrays go to the collector). */
    public static void dropFreeLists() {
        FREE.clear();
    }

    /** Scopes open on this thread (for tests). */
    static int openScopes() {
        return STATE.get().open.size();
    }

    /** Floats in the free lists (for tests). */
    static long pooledFloats() {
        return FREE.pooled();
    }

    /**
     * A scope's buffers are held weakly: a temporary the scope's work has dropped can still be
     * collected before the scope closes (a long scope, a stacked meta-batch, would otherwise hold
     * every temporary it ever made), and the arrays of the ones still there at the close are
     * recycled, their buffers marked so that a later read fails ({@link HeapBuffer#of}).
     */
    static final class Scope implements MemoryScope {
        private final State state;
        private final Mode mode;
        final WeakHashMap<HeapBuffer, Boolean> owned = new WeakHashMap<>(); // a HeapBuffer hashes and compares by its array's identity
        private boolean closed;

        Scope(State state, Mode mode) {
            this.state = state;
            this.mode = mode;
        }

        @Override public void keep(Buffer... buffers) {
            if (closed) throw new IllegalStateException("keep on a closed memory scope");
            int at = state.open.indexOf(this);
            Scope outer = at > 0 ? state.open.get(at - 1) : null;
            for (Buffer b : buffers) {
                if (b instanceof HeapBuffer h && owned.remove(h) != null && outer != null) outer.owned.put(h, Boolean.TRUE);
            }
        }

        void free(HeapBuffer b) {
            if (mode == Mode.CHECK) Arrays.fill(b.data(), Float.NaN);
            else {
                b.markRecycled();
                FREE.give(List.of(b.data()));
            }
        }

        @Override public void close() {
            if (closed) return;
            List<Scope> open = state.open;
            if (open.isEmpty() || open.get(open.size() - 1) != this) // (still open: the right close can follow)
                throw new IllegalStateException("memory scopes must close innermost first (and on the thread that opened them)");
            closed = true;
            open.remove(open.size() - 1);
            List<float[]> arrays = new ArrayList<>(owned.size());
            for (HeapBuffer b : owned.keySet()) {
                if (mode == Mode.CHECK) Arrays.fill(b.data(), Float.NaN);
                else b.markRecycled();
                arrays.add(b.data());
            }
            if (mode != Mode.CHECK) FREE.give(arrays);
            owned.clear();
        }
    }
}
