package io.metarec.cli;

import io.metarec.serve.Limits;
import io.metarec.serve.RecommendServer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Callable;

/** Serves a saved model over HTTP/JSON until the process is stopped. */
@Command(name = "serve", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Serve a saved model over HTTP/JSON: POST /v1/recommend, POST /v1/recommend/batch, GET /v1/items?query=Q&limit=N",
                "(search the catalogue), GET /v1/items/{id}, GET /healthz, GET /metrics (Prometheus), POST /v1/admin/reload (re-read",
                "the model file without downtime); and a web page at / to pick and rate a few movies and see the adapted top-k."})
public final class ServeCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, paramLabel = "FILE", description = "a model written by train (re-read on POST /v1/admin/reload)")
    Path model;

    @Option(names = "--port", defaultValue = "8080", paramLabel = "PORT", description = "TCP port (0: any free one; default ${DEFAULT-VALUE})")
    int port;

    @Option(names = "--bind", defaultValue = "127.0.0.1", paramLabel = "ADDR",
            description = "address to listen on (default ${DEFAULT-VALUE}: this machine only, as the admin endpoint has no authentication; 0.0.0.0: every interface)")
    String bind;

    @Option(names = "--threads", paramLabel = "N", description = "users adapted at once (default: the number of cores); more requests wait their turn")
    Integer threads;

    @Mixin RankingOptions ranking;

    @Option(names = "--max-k", defaultValue = "1000", paramLabel = "N", description = "largest k a request may ask for (default ${DEFAULT-VALUE})")
    int maxK;

    @Option(names = "--max-ratings", defaultValue = "1000", paramLabel = "N", description = "most ratings per user (default ${DEFAULT-VALUE})")
    int maxRatings;

    @Option(names = "--max-batch", defaultValue = "256", paramLabel = "N", description = "most users per batch request (default ${DEFAULT-VALUE})")
    int maxBatch;

    @Option(names = "--max-body", defaultValue = "1048576", paramLabel = "BYTES", description = "largest request body (default ${DEFAULT-VALUE})")
    int maxBody;

    @Mixin CommonOptions common;

    @Override public Integer call() throws IOException, InterruptedException {
        common.backend();
        if (port < 0 || port > 65535) throw new IllegalArgumentException("--port must be in 0..65535, got " + port);
        if (maxK < 1 || maxRatings < 1 || maxBatch < 1 || maxBody < 1)
            throw new IllegalArgumentException("--max-k, --max-ratings, --max-batch and --max-body must be at least 1");
        int n = threads != null ? threads : Runtime.getRuntime().availableProcessors();
        if (n < 1) throw new IllegalArgumentException("--threads must be at least 1, got " + n);
        RecommendServer server = RecommendServer.start(model, ranking.loader(), new InetSocketAddress(bind, port), n,
                new Limits(maxBody, maxK, maxRatings, maxBatch));
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close();
            stopped.countDown();
        }));
        System.out.println("metarec serve: " + model + " on http://" + bind + ":" + server.port() + "/ (the web page; " + n + " adapting at once; Ctrl-C stops)");
        stopped.await();
        return 0;
    }
}
