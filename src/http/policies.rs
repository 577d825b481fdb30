use actix_web::{HttpResponse, web};

use super::{AppState, Caller};

pub async fn list(_caller: Caller, state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().json(state.service.policies())
}
