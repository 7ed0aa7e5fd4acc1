package io.metarec.rec.data;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Small MovieLens-format and generic fixtures, written by the tests in the original encodings. */
public final class Fixtures {
    private Fixtures() {}

    public static final String MISERABLES = "Mis\u00e9rables, Les (1995)";
    public static final String CITY = "City of Lost Children, The (Cit\u00e9 des enfants perdus, La) (1995)";

    /** Writes {@code text} in ISO-8859-1, as the MovieLens files are. */
    public static void latin1(Path file, String text) throws IOException {
        Files.write(file, text.getBytes(StandardCharsets.ISO_8859_1));
    }

    public static void utf8(Path file, String text) throws IOException {
        Files.writeString(file, text, StandardCharsets.UTF_8);
    }

    static String flags(int... on) {
        StringBuilder b = new StringBuilder();
        for (int k = 0; k < 19; k++) {
            boolean set = false;
            for (int o : on) set |= o == k;
            b.append('|').append(set ? '1' : '0');
        }
        return b.toString();
    }

    /**
     * ML-100K: 4 users (ages 24, 53, 17, 56; a Canadian zip, a missing zip), 4 movies (Toy Story with
     * a date; Les Misérables (ISO-8859-1 é); one with neither date nor title year; one with only a
     * title year), 6 ratings.
     */
    public static Path ml100k(Path dir) throws IOException {
        Files.createDirectories(dir);
        StringBuilder g = new StringBuilder();
        List<String> names = MovieLens.ML100K_GENRES;
        for (int k = 0; k < names.size(); k++) g.append(names.get(k)).append('|').append(k).append('\n');
        latin1(dir.resolve("u.genre"), g + "\n");
        latin1(dir.resolve("u.user"), """
                1|24|M|technician|85711
                2|53|F|other|94043
                3|17|M|student|T8H1N
                4|56|F|writer|
                """);
        latin1(dir.resolve("u.item"),
                "1|Toy Story (1995)|01-Jan-1995||http://us.imdb.com/M/title-exact?Toy%20Story%20(1995)" + flags(3, 4, 5) + "\n"
                        + "2|" + MISERABLES + "|01-Jan-1995||http://us.imdb.com/M/title-exact?Mis%E9rables,%20Les%20(1995)" + flags(8, 17) + "\n"
                        + "3|unknown|||" + flags(0) + "\n"
                        + "4|Butcher Boy, The (1998)|||http://us.imdb.com/M/title-exact?Butcher%20Boy%20(1998)" + flags(18) + "\n");
        latin1(dir.resolve("u.data"), """
                1\t1\t5\t881250949
                1\t2\t3\t881250950
                2\t1\t4\t875000000
                2\t3\t1\t875000100
                3\t4\t2\t880000000
                4\t2\t5\t879000000
                """);
        return dir;
    }

    /** ML-1M: 3 users, 4 movies (one never rated), 5 ratings; ISO-8859-1 titles. */
    public static Path ml1m(Path dir) throws IOException {
        Files.createDirectories(dir);
        latin1(dir.resolve("movies.dat"), "1::Toy Story (1995)::Animation|Children's|Comedy\n"
                + "2::" + MISERABLES + "::Drama|War\n"
                + "3::" + CITY + "::Adventure|Sci-Fi\n"
                + "4::Unrated Movie (2000)::Drama\n");
        latin1(dir.resolve("users.dat"), """
                1::F::1::10::48067
                2::M::56::16::70072
                3::M::25::20::98107-2117
                """);
        latin1(dir.resolve("ratings.dat"), """
                1::1::5::978300760
                1::2::3::978302109
                2::1::4::978298709
                2::3::2::978299000
                3::2::5::978301968
                """);
        return dir;
    }

    /** A generic dataset: 3 users with features, 4 items (one unrated, a quoted title), 6 ratings without timestamps. */
    public static Path generic(Path dir) throws IOException {
        Files.createDirectories(dir);
        utf8(dir.resolve("users.csv"), """
                user,gender,age,interests[]
                alice,F,25-34,jazz|film
                bob,M,,film
                carol,F,56+,
                """);
        utf8(dir.resolve("items.csv"), """
                item,title,release,director,genres[]
                m1,"Amélie, or ""the fabulous"" one",2001,Jeunet,Comedy|Romance
                m2,Alien,1979-05-25,Scott,Horror|Sci-Fi
                m3,Blade Runner,,Scott,Sci-Fi
                m4,Unrated,2020,,
                """);
        utf8(dir.resolve("interactions.csv"), """
                user,item,rating
                alice,m1,5
                alice,m2,3.5
                bob,m2,4
                bob,m3,2
                carol,m1,1
                carol,m3,4.5
                """);
        return dir;
    }
}
