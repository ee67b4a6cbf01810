//! Runs a sandbox until Ctrl-C, for trying kubectl or kwif against it by hand:
//! `cargo run -p kwif-sandbox --example serve -- DIR [fresh|drifted|broken-hosting] [LATENCY_MS]
//! [ENTRA_PROPAGATION_S]`.

use std::time::Duration;

use kwif_sandbox::{SandboxOptions, Scenario};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut arguments = std::env::args().skip(1);
    let dir = arguments
        .next()
        .ok_or("usage: serve DIR [SCENARIO] [LATENCY_MS] [ENTRA_PROPAGATION_S]")?;
    let scenario: Scenario = arguments.next().as_deref().unwrap_or("fresh").parse()?;
    let latency = arguments.next().map_or(Ok(0), |ms| ms.parse::<u64>())?;
    let propagation = arguments.next().map_or(Ok(0), |s| s.parse::<u64>())?;
    let options = SandboxOptions {
        scenario,
        latency: Duration::from_millis(latency),
        entra_propagation: Duration::from_secs(propagation),
        ..SandboxOptions::new(dir)
    };
    kwif_sandbox::serve(options, |sandbox| {
        println!(
            "sandbox ({scenario}) ready: . {}",
            sandbox.files().env.display()
        );
    })
    .await?;
    Ok(())
}
