//! Cold-start peer: the smallest `lambda_http` function (no SDK, no state), with the
//! workspace's features. Whatever a GymIT function takes beyond this is the SDK and ours.

use lambda_http::{service_fn, Body, Error, Request, Response};

async fn hello(_req: Request) -> Result<Response<Body>, Error> {
    Ok(Response::builder()
        .status(200)
        .header("content-type", "text/plain")
        .body(Body::Text("hello".into()))?)
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_http::run(service_fn(hello)).await
}
