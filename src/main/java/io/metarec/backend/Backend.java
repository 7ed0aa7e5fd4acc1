package io.metarec.backend;

/**
 * The narrow contract between tensors and the hardware: a dozen primitive kernels over
 * {@link Buffer}s of float32, row-major. Every kernel writes only its {@code out} argument, which
 * the caller has just allocated and which never aliases an input ({@link #accumulate} is the one
 * in-place kernel, on a private accumulator). The autograd layer above builds every op (and every
 * derivative) from these, so a backend is complete once these are.
 *
 * <p>Implementations: {@code ScalarBackend} (plain loops, the oracle in tests), {@code VectorBackend}
 * (Vector API), {@code CudaBackend}. All are checked against the scalar backend on random inputs.
 */
public interface Backend {

    /** Short name as accepted by {@code --backend}: "cpu-scalar", "cpu", "cuda". */
    String name();

    /** One line for {@code metarec info}: implementation details such as vector width or device. */
    String describe();

    /**
     * The one capability the layers above choose execution by (never by {@link #name}): true when
     * buffers are arrays in this JVM's heap (the CPU backends). Then every host-resident backend
     * reads them as they are, a snapshot needs no copy, and kernels run on the calling thread, so
     * the tasks of a meta-batch run in parallel on the engine pool; false for a device backend,
     * whose launches favour fewer, larger kernels (tasks stacked).
     */
    boolean hostResident();

    // ---- memory -------------------------------------------------------------------------------

    /** A buffer of {@code length} floats with unspecified contents (the kernel writing it sets all). */
    Buffer allocate(int length);

    /** A buffer of {@code length} zeros. */
    Buffer zeros(int length);

    /** A buffer holding a copy of {@code data}. */
    Buffer upload(float[] data);

    /** A host copy of the buffer's contents. */
    float[] download(Buffer buffer);

    /** out[i] = value. */
    void fill(Buffer out, float value);

    // ---- elementwise --------------------------------------------------------------------------

    /** out[i] = op(x[i]; p1, p2) for every i of x (out has x's length). */
    void unary(Unary op, Buffer x, Buffer out, float p1, float p2);

    /** out = op(a, b) under the broadcast {@code plan} (out has plan.size elements). */
    void binary(Binary op, Buffer a, Buffer b, Buffer out, Broadcast plan);

    /** out = x broadcast to plan.outShape (plan from {@link Broadcast#expand}; only a strides are used). */
    void expand(Buffer x, Buffer out, Broadcast plan);

    /** out[i] = cond[i] != 0 ? a[i] : b[i] (all of one length). */
    void where(Buffer cond, Buffer a, Buffer b, Buffer out);

    // ---- reductions ---------------------------------------------------------------------------

    /** Viewing x as [outer, n, inner]: out[o, i] = op over j of x[o, j, i] (out is [outer, inner]). */
    void reduce(Reduce op, Buffer x, Buffer out, int outer, int n, int inner);

    // ---- linear algebra -----------------------------------------------------------------------

    /**
     * c[t] = op(a[t]) · op(b[t]) for t in [0, batch), where op(a) is a [m, k] (or aᵀ when {@code ta},
     * a stored [k, m]) and op(b) is [k, n] (or bᵀ when {@code tb}, b stored [n, k]); c[t] is [m, n].
     * Batch strides are m·k, k·n and m·n. Every element of c is written.
     */
    void gemm(boolean ta, boolean tb, int batch, int m, int n, int k, Buffer a, Buffer b, Buffer c);

    /**
     * A dense layer's forward pass in one call: out = act(x·w + bias) for x [m, k], w [k, n], bias [n]
     * added to every row (null: none) and {@code act} null or {@link Unary#RELU}. It must give the
     * bits of {@link #gemm}, then {@link #binary} ADD of the row vector, then {@link #unary} act — the
     * separate ops' kernels, whose derivative rules the fused op ({@code Linalg.linear}) reuses. Every
     * element of out is written. Default: those three kernels; a backend may fuse the bias and
     * activation into the product (CPU: each block of out while it is still in cache).
     */
    default void linear(int m, int n, int k, Buffer x, Buffer w, Buffer bias, Unary act, Buffer out) {
        if (act != null && act != Unary.RELU) throw new IllegalArgumentException("linear: activation must be none or RELU, got " + act);
        int size = m * n;
        if (size == 0) return;
        // Each kernel writes a fresh buffer (none aliases its input); the last one writes out.
        Buffer product = bias == null && act == null ? out : allocate(size);
        if (k == 0) fill(product, 0f);
        else gemm(false, false, 1, m, n, k, x, w, product);
        Buffer sum = product;
        if (bias != null) {
            sum = act == null ? out : allocate(size);
            binary(Binary.ADD, product, bias, sum, Broadcast.of("add", new int[] {m, n}, new int[] {n}));
        }
        if (act != null) unary(act, sum, out, 0f, 0f);
        if (product != out) release(product);
        if (sum != out && sum != product) release(sum);
    }

    /** out[t, j, i] = x[t, i, j] for x of shape [batch, rows, cols]. */
    void transpose(Buffer x, Buffer out, int batch, int rows, int cols);

    /** Copies a rows × cols block: dst[dstOffset + r·dstStride + c] = src[srcOffset + r·srcStride + c]. */
    void copy2d(Buffer src, int srcOffset, int srcStride, Buffer dst, int dstOffset, int dstStride, int rows, int cols);

    // ---- indexing -----------------------------------------------------------------------------

    /** out[r, :] = table[rows[r], :] for a table with {@code cols} columns (indices already validated). */
    void gatherRows(Buffer table, int cols, Indices rows, Buffer out);

    /** out[rows[r], :] += src[r, :]; out holds zeros (or a sum in progress) on entry. */
    void scatterAddRows(Buffer src, int cols, Indices rows, Buffer out);

    /**
     * Segment mean over consecutive rows: out[s, :] = mean of x[offsets[s] .. offsets[s+1]) rows;
     * an empty segment gives zeros. {@code offsets} has segments + 1 entries, non-decreasing.
     */
    void segmentMean(Buffer x, int cols, Indices offsets, Buffer out);

    /**
     * A bag of embedding rows averaged: out[s, :] = mean of table[rows[j], :] over j in
     * [offsets[s], offsets[s + 1]) (an empty segment gives zeros) — the bits of {@link #gatherRows}
     * then {@link #segmentMean}, without the [rows.length, cols] gathered rows between them.
     * Default: those two kernels.
     */
    default void gatherSegmentMean(Buffer table, int cols, Indices rows, Indices offsets, Buffer out) {
        Buffer gathered = allocate(rows.length() * cols);
        if (rows.length() > 0) gatherRows(table, cols, rows, gathered);
        segmentMean(gathered, cols, offsets, out);
        release(gathered);
    }

    /** The adjoint of {@link #segmentMean}: out[j, :] = g[s, :] / count(s) for every row j in segment s. */
    void segmentExpandMean(Buffer g, int cols, Indices offsets, Buffer out);

    // ---- random -------------------------------------------------------------------------------

    /**
     * Fills out from the counter-based generator {@link Philox}: element i depends only on
     * (seed, stream, i), so every backend draws the same numbers.
     */
    void random(Distribution distribution, long seed, long stream, float p1, float p2, Buffer out);

    // ---- in-place accumulation --------------------------------------------------------------------

    /**
     * acc[i] += x[i] in place (lengths equal): how gradient sums grow without a fresh buffer per
     * addition. The exception to "buffers are written once": {@code acc} must be an accumulator the
     * caller allocated and has not yet handed to any tensor, and {@code x} must not alias it. Each
     * element is one float addition, so any split of the work gives the same bits.
     */
    default void accumulate(Buffer acc, Buffer x) {
        int n = acc.length();
        if (x.length() != n) throw new IllegalArgumentException("accumulate: lengths " + n + " and " + x.length());
        if (n == 0) return;
        Buffer sum = allocate(n);
        binary(Binary.ADD, acc, x, sum, Broadcast.of("add", new int[] {n}, new int[] {n}));
        copy2d(sum, 0, n, acc, 0, n, 1, n);
        release(sum);
    }

    // ---- memory lifetime (optional: CPU backends leave it to the garbage collector) --------------

    /**
     * Opens a scope that owns every buffer this thread allocates until it closes (or until
     * {@link MemoryScope#keep} hands one on). Default: {@link MemoryScope#NONE}.
     */
    default MemoryScope openScope() {
        return MemoryScope.NONE;
    }

    /**
     * {@link #openScope} for work that repeats on this thread — a meta-step's task after task, each
     * allocating much the same sequence of buffers — where a host backend may hand the next such
     * scope the arrays this one allocated and did not {@link MemoryScope#keep}. The same contract as
     * {@link #openScope}. Default: {@link #openScope}.
     */
    default MemoryScope openRepeatingScope() {
        return openScope();
    }

    /** Frees a buffer now, whoever owns it; the caller guarantees nothing reads it again. Default: nothing. */
    default void release(Buffer buffer) {}

    // ---- fused optimizer updates (optional: defaults compose the primitives above) ---------------

    /**
     * One Adam step of one parameter tensor ({@link Fused.AdamCoefficients} has the formula);
     * {@code m} and {@code v} are null on the first step. Returns fresh buffers, which a backend
     * with memory scopes allocates outside any scope: optimizer results outlive a training step.
     */
    default Fused.AdamResult adamStep(Buffer param, Buffer grad, Buffer m, Buffer v, Fused.AdamCoefficients c) {
        return Fused.adamByPrimitives(this, param, grad, m, v, c);
    }

    /**
     * The same step where the caller may give up the moments: with {@code reuseMoments} a backend
     * may write the new moments over {@code m} and {@code v} (the result then holds those very
     * buffers; the CPU backends do, sparing two fresh tensors of the parameter's size a step, whose
     * zeroing the allocating thread does alone). The parameters always come in a fresh buffer: the
     * old ones may still be read (snapshots). Default: fresh buffers, as {@link #adamStep(Buffer,
     * Buffer, Buffer, Buffer, Fused.AdamCoefficients)}.
     */
    default Fused.AdamResult adamStep(Buffer param, Buffer grad, Buffer m, Buffer v, boolean reuseMoments, Fused.AdamCoefficients c) {
        return adamStep(param, grad, m, v, c);
    }

    /**
     * The exact Adam step of a [n / cols, cols] table whose gradient is row-sparse (an embedding
     * table's, {@code io.metarec.autograd.RowSparse}): row rows[j] has row j of {@code block}
     * ([rows.length, cols], rows distinct), every other row a zero gradient, and every row steps.
     * Bitwise {@link #adamStep(Buffer, Buffer, Buffer, Buffer, boolean, Fused.AdamCoefficients)} on
     * the densified gradient. Default: densifies ({@link #withRows} over zeros), then that step; the
     * CPU backends read the block where it has rows and zeros elsewhere instead (no dense gradient
     * to allocate, zero and fill: with MeLU's tables that cost more than the step itself).
     */
    default Fused.AdamResult adamStepRows(Buffer param, int cols, Indices rows, Buffer block, Buffer m, Buffer v, boolean reuseMoments,
                                          Fused.AdamCoefficients c) {
        Buffer zeros = zeros(param.length()), grad = withRows(zeros, cols, rows, block);
        release(zeros);
        Fused.AdamResult r = adamStep(param, grad, m, v, reuseMoments, c);
        release(grad);
        return r;
    }

    /**
     * out = base, a [n, cols] table, with row rows[r] replaced by row r of {@code block} ([rows.length,
     * cols], rows distinct): exact copies, the write-back of a lazy optimizer step. A fresh buffer,
     * unscoped like the fused updates' results. Default: a copy, then one row copy per row (cheap
     * where a copy is a call, not a launch; {@link Fused#withRowsInto} does it in two kernels).
     */
    default Buffer withRows(Buffer base, int cols, Indices rows, Buffer block) {
        int n = base.length();
        Buffer out = allocate(n);
        if (n > 0) copy2d(base, 0, n, out, 0, n, 1, n);
        if (cols > 0) for (int j = 0; j < rows.length(); j++) copy2d(block, j * cols, cols, out, rows.get(j) * cols, cols, 1, cols);
        return out;
    }

    /** One SGD step ({@link Fused.SgdCoefficients}); {@code momentum} null on the first step. Fresh, unscoped buffers. */
    default Fused.SgdResult sgdStep(Buffer param, Buffer grad, Buffer momentum, Fused.SgdCoefficients c) {
        return Fused.sgdByPrimitives(this, param, grad, momentum, c);
    }
}
