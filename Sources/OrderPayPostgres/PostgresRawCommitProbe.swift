import Foundation
import PostgresNIO

/// The baseline for `orderpay bench flow --database`: single-row INSERT + COMMIT, one after the
/// other on one connection, on the same server the services use.
public enum PostgresRawCommitProbe {
    public static func commitsPerSecond(_ database: PostgresDatabase, duration: Duration = .seconds(2)) async throws -> Double {
        try await database.execute("CREATE TABLE IF NOT EXISTS public.raw_commit_probe (id BIGSERIAL PRIMARY KEY, payload TEXT NOT NULL, at TIMESTAMPTZ NOT NULL)")
        let logger = database.logger
        return try await database.withConnection { connection in
            let clock = ContinuousClock()
            let start = clock.now
            var commits = 0
            while clock.now - start < duration {
                try await connection.queryIfOpen("INSERT INTO public.raw_commit_probe (payload, at) VALUES (\("order-\(commits)"), \(Date()))",
                                           logger: logger)
                commits += 1
            }
            let elapsed = clock.now - start
            return Double(commits) / (Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
        }
    }
}
