// Host harness: runs the kernel bodies of native/*.cuh on the CPU, one emulated GPU thread at a
// time, for the JUnit suite (io.metarec.backend.cuda.EmulatedDevice) on machines without a GPU.
//
// Build: c++ -std=c++17 -O2 -ffp-contract=off -fno-strict-aliasing -I native native/harness/harness.cpp
// (the flags matter: no fma contraction, as on the device with -fmad=false).
//
// Protocol on stdin/stdout, little-endian; str = i32 length + bytes:
//   request  i32 1 (launch): str kernel, i32 grid[3], i32 block[3], i32 flags (1 = reverse thread
//            and block order), i32 argc, then per argument a tag byte and its value:
//              'P' pointer: i32 allocation id, i64 byte count, bytes (an id repeated in one launch
//                  is the same memory; its later copies are ignored)
//              'I' i32   'F' f32   'L' u64   'S' struct: i32 byte count, bytes
//            response i32 status (0 ok, else str message), then i32 count and per pointer id
//            (first-appearance order): i32 id, i64 byte count, bytes after the kernel ran.
//   request  i32 2 (list): response i32 count, then per kernel str name, str argument tags
//            (a struct tag followed by its size: "PPPIS48").
//   request  i32 0: exit.
// Shared memory and per-thread registers start as NaN bytes, so a read before a write shows.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

#include "elementwise.cuh"
#include "gemm.cuh"
#include "indexing.cuh"
#include "optim.cuh"
#include "random.cuh"
#include "reduce.cuh"

namespace {

struct Launch {
    mr::Dim3 grid, block;
    bool reverse;
};

/**
 * The host side of the Block contract: each() runs the phase for every thread of the block.
 * Running a phase for all threads before the next one starts is a barrier; so that it never
 * stands in for a __syncthreads the kernel lacks, two phases need a sync() between them.
 */
struct HostBlock {
    mr::Dim3 grid, block, bid;
    bool reverse;
    bool unsynced = false;  // a phase ran since the last sync()
    unsigned threads() const { return block.x * block.y * block.z; }
    template <class F> void each(F f) {
        if (unsynced) throw std::runtime_error("two phases of a block kernel without a sync() (__syncthreads) between them");
        unsynced = true;
        const unsigned n = threads();
        for (unsigned l = 0; l < n; l++) {
            const unsigned lin = reverse ? n - 1 - l : l;
            f(mr::Dim3{lin % block.x, (lin / block.x) % block.y, lin / (block.x * block.y)}, (int)lin);
        }
    }
    void sync() { unsynced = false; }
    template <class T> struct Reg {
        std::vector<T> v;
        explicit Reg(const HostBlock& b) : v(b.threads()) { std::memset((void*)v.data(), 0xFF, sizeof(T) * v.size()); }
        T& operator[](int i) { return v.at(i); }
    };
};

// ---- stdin / stdout ----------------------------------------------------------------------------

void read_exact(void* dst, size_t n) {
    if (n > 0 && std::fread(dst, 1, n, stdin) != n) throw std::runtime_error("unexpected end of input");
}
template <class T> T read_val() {
    T v;
    read_exact(&v, sizeof v);
    return v;
}
std::string read_str() {
    const int32_t n = read_val<int32_t>();
    if (n < 0 || n > (1 << 20)) throw std::runtime_error("bad string length");
    std::string s(n, '\0');
    read_exact(&s[0], n);
    return s;
}
void write_bytes(const void* p, size_t n) { std::fwrite(p, 1, n, stdout); }
template <class T> void write_val(T v) { write_bytes(&v, sizeof v); }
void write_str(const std::string& s) {
    write_val<int32_t>((int32_t)s.size());
    write_bytes(s.data(), s.size());
}

// ---- arguments ---------------------------------------------------------------------------------

struct Memory {
    int32_t id;
    int64_t bytes;
    std::unique_ptr<unsigned char[]> data;  // operator new[] storage: aligned for float and int
};

struct Arg {
    char tag;
    int32_t i = 0;
    float f = 0;
    uint64_t l = 0;
    std::vector<unsigned char> raw;
    Memory* mem = nullptr;
};

template <class T> struct Tag;  // the argument tag of each parameter type
template <> struct Tag<const float*> { static constexpr char c = 'P'; };
template <> struct Tag<float*> { static constexpr char c = 'P'; };
template <> struct Tag<const int*> { static constexpr char c = 'P'; };
template <> struct Tag<int> { static constexpr char c = 'I'; };
template <> struct Tag<float> { static constexpr char c = 'F'; };
template <> struct Tag<unsigned long long> { static constexpr char c = 'L'; };
template <> struct Tag<mr::Plan4> { static constexpr char c = 'S'; };

/** The tags of a parameter list, a struct's followed by its size in bytes ("PPIS48"). */
template <class... A> std::string tag_string() {
    std::string s;
    ((s += Tag<A>::c, s += (Tag<A>::c == 'S' ? std::to_string(sizeof(A)) : std::string())), ...);
    return s;
}

struct Args {
    std::vector<Arg> list;
    size_t next = 0;
    const std::string* kernel;

    const Arg& take(char want) {
        if (next >= list.size())
            throw std::runtime_error(*kernel + ": too few arguments (" + std::to_string(list.size()) + ")");
        const Arg& a = list[next++];
        if (a.tag != want)
            throw std::runtime_error(*kernel + ": argument " + std::to_string(next - 1) + " has tag '" +
                                     std::string(1, a.tag) + "', the kernel expects '" + std::string(1, want) + "'");
        return a;
    }
    template <class T> T get() {
        const Arg& a = take(Tag<T>::c);
        if constexpr (std::is_pointer<T>::value) return reinterpret_cast<T>(a.mem->data.get());
        else if constexpr (std::is_same<T, int>::value) return a.i;
        else if constexpr (std::is_same<T, float>::value) return a.f;
        else if constexpr (std::is_same<T, unsigned long long>::value) return a.l;
        else {
            if (a.raw.size() != sizeof(T))
                throw std::runtime_error(*kernel + ": struct argument of " + std::to_string(a.raw.size()) +
                                         " bytes, the kernel expects " + std::to_string(sizeof(T)));
            T v;
            std::memcpy(&v, a.raw.data(), sizeof v);
            return v;
        }
    }
    void finish() {
        if (next != list.size())
            throw std::runtime_error(*kernel + ": " + std::to_string(list.size()) + " arguments, the kernel takes " +
                                     std::to_string(next));
    }
};

// ---- the kernel registry -----------------------------------------------------------------------

struct Entry {
    std::string tags;
    std::function<void(Args&, const Launch&)> run;
};
std::map<std::string, Entry>& registry() {
    static std::map<std::string, Entry> r;
    return r;
}

template <class F> void for_each_block(const Launch& L, F f) {
    const unsigned n = L.grid.x * L.grid.y * L.grid.z;
    for (unsigned l = 0; l < n; l++) {
        const unsigned k = L.reverse ? n - 1 - l : l;
        f(mr::Dim3{k % L.grid.x, (k / L.grid.x) % L.grid.y, k / (L.grid.x * L.grid.y)});
    }
}

/** A grid-stride kernel: body(Thread, args...) for every thread of every block. */
template <class... A> void thread_kernel(const char* name, void (*body)(const mr::Thread&, A...)) {
    registry()[name] = Entry{tag_string<A...>(), [body](Args& args, const Launch& L) {
                                 std::tuple<A...> vals{args.get<A>()...};
                                 args.finish();
                                 for_each_block(L, [&](mr::Dim3 bid) {
                                     HostBlock hb{L.grid, L.block, bid, L.reverse};
                                     hb.each([&](mr::Dim3 tid, int) {
                                         const mr::Thread th{L.grid, L.block, bid, tid};
                                         std::apply([&](A... a) { body(th, a...); }, vals);
                                     });
                                 });
                             }};
}

/** A block-cooperative kernel: body(Block, shared memory of SMEM floats, args...) per block. */
template <int SMEM, class... A> void block_kernel(const char* name, void (*body)(HostBlock&, float*, A...)) {
    registry()[name] = Entry{tag_string<A...>(), [body](Args& args, const Launch& L) {
                                 std::tuple<A...> vals{args.get<A>()...};
                                 args.finish();
                                 std::vector<float> smem(SMEM);
                                 for_each_block(L, [&](mr::Dim3 bid) {
                                     std::memset((void*)smem.data(), 0xFF, sizeof(float) * smem.size());
                                     HostBlock hb{L.grid, L.block, bid, L.reverse};
                                     std::apply([&](A... a) { body(hb, smem.data(), a...); }, vals);
                                 });
                             }};
}

void register_kernels() {
#define MR_REG_UNARY(name) thread_kernel("unary_" #name, &mr::unary_body<mr::U_##name>);
    MR_UNARY_OPS(MR_REG_UNARY)
#define MR_REG_BINARY(name)                                                   \
    thread_kernel("binary_" #name, &mr::binary_body<mr::B_##name>);           \
    thread_kernel("binary_bcast_" #name, &mr::binary_bcast_body<mr::B_##name>);
    MR_BINARY_OPS(MR_REG_BINARY)
    thread_kernel("expand", &mr::expand_body);
    thread_kernel("where_select", &mr::where_body);
    thread_kernel("copy2d", &mr::copy2d_body);
    block_kernel<mr::TRANSPOSE_SMEM>("transpose", &mr::transpose_body<HostBlock>);
#define MR_REG_REDUCE(name)                                                                                \
    block_kernel<mr::REDUCE_THREADS>("reduce_rows_" #name, &mr::reduce_rows_body<mr::R_##name, HostBlock>); \
    thread_kernel("reduce_cols_" #name, &mr::reduce_cols_body<mr::R_##name>);
    MR_REDUCE_OPS(MR_REG_REDUCE)
    thread_kernel("gather_rows", &mr::gather_rows_body);
    thread_kernel("scatter_add_rows", &mr::scatter_add_rows_body);
    thread_kernel("segment_mean", &mr::segment_mean_body);
    thread_kernel("segment_expand_mean", &mr::segment_expand_mean_body);
    thread_kernel("random_uniform", &mr::random_uniform_body);
    thread_kernel("random_normal", &mr::random_normal_body);
    thread_kernel("adam_step", &mr::adam_step_body);
    thread_kernel("sgd_step", &mr::sgd_step_body);
#define MR_REG_GEMM(tile, Cfg)                                                                       \
    block_kernel<mr::Cfg::SMEM>("gemm_" #tile "_nn", &mr::gemm_body<mr::Cfg, false, false, HostBlock>); \
    block_kernel<mr::Cfg::SMEM>("gemm_" #tile "_nt", &mr::gemm_body<mr::Cfg, false, true, HostBlock>);  \
    block_kernel<mr::Cfg::SMEM>("gemm_" #tile "_tn", &mr::gemm_body<mr::Cfg, true, false, HostBlock>);  \
    block_kernel<mr::Cfg::SMEM>("gemm_" #tile "_tt", &mr::gemm_body<mr::Cfg, true, true, HostBlock>);
    MR_REG_GEMM(large, GemmLarge)
    MR_REG_GEMM(medium, GemmMedium)
    MR_REG_GEMM(small, GemmSmall)
}

// ---- requests ----------------------------------------------------------------------------------

void launch() {
    const std::string name = read_str();
    Launch L;
    int32_t g[3], b[3];
    for (int i = 0; i < 3; i++) g[i] = read_val<int32_t>();
    for (int i = 0; i < 3; i++) b[i] = read_val<int32_t>();
    L.grid = mr::Dim3{(unsigned)g[0], (unsigned)g[1], (unsigned)g[2]};
    L.block = mr::Dim3{(unsigned)b[0], (unsigned)b[1], (unsigned)b[2]};
    L.reverse = (read_val<int32_t>() & 1) != 0;
    const int32_t argc = read_val<int32_t>();
    std::vector<std::unique_ptr<Memory>> memories;
    Args args;
    args.kernel = &name;
    for (int32_t i = 0; i < argc; i++) {
        Arg a;
        a.tag = read_val<char>();
        switch (a.tag) {
            case 'P': {
                const int32_t id = read_val<int32_t>();
                const int64_t bytes = read_val<int64_t>();
                Memory* found = nullptr;
                for (auto& m : memories)
                    if (m->id == id) found = m.get();
                if (found) {
                    std::vector<unsigned char> skip(bytes);
                    read_exact(skip.data(), bytes);
                } else {
                    auto m = std::make_unique<Memory>();
                    m->id = id;
                    m->bytes = bytes;
                    m->data.reset(new unsigned char[bytes > 0 ? bytes : 1]);
                    read_exact(m->data.get(), bytes);
                    found = m.get();
                    memories.push_back(std::move(m));
                }
                a.mem = found;
                break;
            }
            case 'I': a.i = read_val<int32_t>(); break;
            case 'F': a.f = read_val<float>(); break;
            case 'L': a.l = read_val<uint64_t>(); break;
            case 'S': {
                const int32_t n = read_val<int32_t>();
                a.raw.resize(n);
                read_exact(a.raw.data(), n);
                break;
            }
            default: throw std::runtime_error(name + ": unknown argument tag " + std::to_string((int)a.tag));
        }
        args.list.push_back(std::move(a));
    }
    std::string error;
    auto it = registry().find(name);
    if (it == registry().end()) error = "no kernel named '" + name + "'";
    else if (L.grid.x == 0 || L.grid.y == 0 || L.grid.z == 0 || L.block.x == 0 || L.block.y == 0 || L.block.z == 0)
        error = name + ": empty grid or block";
    else if ((uint64_t)L.block.x * L.block.y * L.block.z > 1024) error = name + ": more than 1024 threads per block";
    else {
        try {
            it->second.run(args, L);
        } catch (const std::exception& e) {
            error = e.what();
        }
    }
    if (!error.empty()) {
        write_val<int32_t>(1);
        write_str(error);
        return;
    }
    write_val<int32_t>(0);
    write_val<int32_t>((int32_t)memories.size());
    for (auto& m : memories) {
        write_val<int32_t>(m->id);
        write_val<int64_t>(m->bytes);
        write_bytes(m->data.get(), m->bytes);
    }
}

void list() {
    write_val<int32_t>((int32_t)registry().size());
    for (auto& [name, e] : registry()) {
        write_str(name);
        write_str(e.tags);
    }
}

}  // namespace

int main() {
    register_kernels();
    try {
        for (;;) {
            int32_t op;
            if (std::fread(&op, 4, 1, stdin) != 1 || op == 0) return 0;
            if (op == 1) launch();
            else if (op == 2) list();
            else throw std::runtime_error("unknown request " + std::to_string(op));
            std::fflush(stdout);
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "harness: %s\n", e.what());
        return 1;
    }
}
